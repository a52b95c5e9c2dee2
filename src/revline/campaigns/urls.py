from django.urls import path

from . import creative_views, spend_views, views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit", views.campaign_edit, name="edit"),
    path("<int:pk>/links", views.link_new, name="link_create"),
    path("<int:pk>/spend", views.spend_new, name="spend_create"),
    path("<int:pk>/spend/<int:spend_pk>/edit", spend_views.spend_edit, name="spend_edit"),
    path("<int:pk>/spend/<int:spend_pk>/delete", spend_views.spend_delete, name="spend_delete"),
    path("spend/import", spend_views.spend_import_upload, name="spend_import"),
    path(
        "spend/import/<int:pk>/columns",
        spend_views.spend_import_columns,
        name="spend_import_columns",
    ),
    path("spend/import/<int:pk>/", spend_views.spend_import_preview, name="spend_import_preview"),
    path(
        "spend/import/<int:pk>/commit", spend_views.spend_import_commit, name="spend_import_commit"
    ),
    path(
        "spend/import/<int:pk>/discard",
        spend_views.spend_import_discard,
        name="spend_import_discard",
    ),
    path("<int:pk>/creatives/new", creative_views.creative_create, name="creative_create"),
    path("creatives/<int:pk>/", creative_views.creative_detail, name="creative"),
    path("creatives/<int:pk>/edit", creative_views.creative_edit, name="creative_edit"),
]
