from django.urls import path

from . import views

app_name = "experiments"
urlpatterns = [
    path("experiments/", views.experiment_list, name="list"),
    path("experiments/new", views.experiment_create, name="create"),
    path("experiments/<int:pk>/", views.experiment_detail, name="detail"),
    path("experiments/<int:pk>/edit", views.experiment_edit, name="edit"),
    path("experiments/<int:pk>/start", views.experiment_start, name="start"),
    path("experiments/<int:pk>/stop", views.experiment_stop, name="stop"),
    path("experiments/<int:pk>/results.csv", views.experiment_export, name="export"),
]
