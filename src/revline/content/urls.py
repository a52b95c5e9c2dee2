from django.urls import path

from . import builder_views, library_views, manage_views, views

app_name = "content"
urlpatterns = [
    path("lp/<slug:slug>", views.landing_page, name="landing_page"),
    path("lp/<slug:slug>/thanks", views.landing_page_thanks, name="landing_page_thanks"),
    path("pages/", manage_views.page_list, name="pages"),
    path("pages/new", manage_views.page_create, name="page_create"),
    path("pages/<int:pk>/", manage_views.page_detail, name="page_detail"),
    path("pages/<int:pk>/edit", manage_views.page_edit, name="page_edit"),
    path("pages/preview", manage_views.page_preview, name="page_preview"),
    path("forms/", builder_views.form_list, name="forms"),
    path("forms/new", builder_views.form_create, name="form_create"),
    path("forms/<int:pk>/", builder_views.form_detail, name="form_detail"),
    path("forms/<int:pk>/edit", builder_views.form_edit, name="form_edit"),
    path("forms/<int:pk>/fields/new", builder_views.field_create, name="form_field_create"),
    path(
        "forms/<int:pk>/fields/<int:field_pk>/edit",
        builder_views.field_edit,
        name="form_field_edit",
    ),
    path(
        "forms/<int:pk>/fields/<int:field_pk>/delete",
        builder_views.field_delete,
        name="form_field_delete",
    ),
    path(
        "forms/<int:pk>/fields/<int:field_pk>/move",
        builder_views.field_move,
        name="form_field_move",
    ),
    path("f/<slug:embed_key>.js", views.form_embed_script, name="form_embed_script"),
    path("f/<slug:embed_key>", views.form_embed, name="form_embed"),
    path("f/<slug:embed_key>/thanks", views.form_embed_thanks, name="form_embed_thanks"),
    path("content/", library_views.content_library, name="library"),
    path("content/new", library_views.content_create, name="item_create"),
    path("content/calendar/", library_views.content_calendar, name="calendar"),
    path("content/<int:pk>/", library_views.content_detail, name="item"),
    path("content/<int:pk>/edit", library_views.content_edit, name="item_edit"),
    path("content/<int:pk>/status", library_views.content_set_status, name="item_status"),
    path("content/<int:pk>/move", library_views.content_move, name="item_move"),
]
