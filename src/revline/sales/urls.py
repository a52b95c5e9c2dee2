from django.urls import include, path

from . import booking_views, views

app_name = "sales"
urlpatterns = [
    # One URL module per area of the sales workbench; all share the "sales" namespace.
    path("", include("revline.sales.board_urls")),
    path("", include("revline.sales.activity_urls")),
    path("", include("revline.sales.objection_urls")),
    path("", include("revline.sales.forecast_urls")),
    path("", include("revline.sales.closing_urls")),
    path("deals/", views.deal_list, name="deals"),
    path("deals/new/", views.deal_create, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:pk>/close/", views.deal_close, name="deal_close"),
    path("deals/<int:pk>/reopen/", views.deal_reopen, name="deal_reopen"),
    path("deals/<int:pk>/activities/", views.deal_activity, name="deal_activity"),
    path("deals/<int:pk>/next-step/", views.deal_next_step, name="deal_next_step"),
    path(
        "deals/<int:pk>/forecast-category/",
        views.deal_forecast_category,
        name="deal_forecast_category",
    ),
    path("deals/<int:pk>/committee/", views.deal_committee_add, name="deal_committee_add"),
    path(
        "deals/<int:pk>/committee/<int:member_pk>/",
        views.deal_committee_update,
        name="deal_committee_update",
    ),
    path(
        "deals/<int:pk>/committee/<int:member_pk>/remove/",
        views.deal_committee_remove,
        name="deal_committee_remove",
    ),
    path("deals/<int:pk>/files/link/", views.deal_attachment_link, name="deal_attachment_link"),
    path(
        "deals/<int:pk>/files/upload/",
        views.deal_attachment_upload,
        name="deal_attachment_upload",
    ),
    path(
        "deals/<int:pk>/files/<int:attachment_pk>/",
        views.deal_attachment_download,
        name="deal_attachment_download",
    ),
    path(
        "deals/<int:pk>/files/<int:attachment_pk>/delete/",
        views.deal_attachment_delete,
        name="deal_attachment_delete",
    ),
    path("lookup/contacts/", views.lookup_contacts, name="lookup_contacts"),
    path("lookup/companies/", views.lookup_companies, name="lookup_companies"),
    path("pipelines/", views.pipeline_list, name="pipelines"),
    path("pipelines/<int:pk>/edit/", views.pipeline_edit, name="pipeline_edit"),
    path("availability/", booking_views.availability, name="availability"),
    path(
        "availability/<int:pk>/delete/",
        booking_views.availability_delete,
        name="availability_delete",
    ),
]
