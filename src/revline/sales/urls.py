from django.urls import path

from . import booking_views, views

app_name = "sales"
urlpatterns = [
    path("deals/", views.deal_list, name="deals"),
    path("deals/new/", views.deal_create, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:pk>/close/", views.deal_close, name="deal_close"),
    path("deals/<int:pk>/reopen/", views.deal_reopen, name="deal_reopen"),
    path("deals/<int:pk>/activities/", views.deal_activity, name="deal_activity"),
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
