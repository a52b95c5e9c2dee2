from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("research/feedback/", views.inbox, name="inbox"),
    path("research/feedback/export.csv", views.export, name="export"),
    path("research/feedback/new/", views.add, name="add"),
    path("research/feedback/<int:pk>/delete/", views.delete, name="delete"),
    path("research/feedback/themes/", views.themes_page, name="themes"),
    path("research/feedback/themes/run/", views.themes_run, name="themes_run"),
    path("research/feedback/themes/<int:pk>/rename/", views.topic_rename, name="topic_rename"),
    path("research/feedback/themes/<int:pk>/merge/", views.topic_merge, name="topic_merge"),
    path("research/feedback/themes/<int:pk>/split/", views.topic_split, name="topic_split"),
]
