from django.urls import path

from . import objection_views as views

urlpatterns = [
    path("objections/", views.objection_library, name="objections"),
    path("objections/new/", views.objection_type_create, name="objection_type_create"),
    path("objections/report/", views.objection_report, name="objection_report"),
    path(
        "objections/for-marketing/",
        views.objections_for_marketing,
        name="objections_for_marketing",
    ),
    path(
        "objections/response-options/",
        views.objection_response_options,
        name="objection_response_options",
    ),
    path("objections/<int:pk>/", views.objection_type_detail, name="objection_type"),
    path(
        "objections/<int:pk>/responses/new/",
        views.objection_response_create,
        name="objection_response_create",
    ),
    path(
        "objections/responses/<int:pk>/edit/",
        views.objection_response_edit,
        name="objection_response_edit",
    ),
    path("deals/<int:pk>/objections/", views.deal_objections_panel, name="deal_objections_panel"),
    path("deals/<int:pk>/objections/log/", views.deal_objection_log, name="deal_objection_log"),
    path(
        "deals/<int:pk>/objections/<int:objection_pk>/",
        views.deal_objection_update,
        name="deal_objection_update",
    ),
]
