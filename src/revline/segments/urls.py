from django.urls import path

from . import views

app_name = "segments"

urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("builder/", views.segment_builder, name="builder"),
    path("count/", views.segment_live_count, name="live_count"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
    path("<int:pk>/export.csv", views.segment_export, name="export"),
]
