from django.urls import URLPattern, URLResolver, path

from . import sequence_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.sequence_list, name="sequences"),
    path("new/", views.sequence_create, name="sequence_create"),
    path("<int:pk>/", views.sequence_detail, name="sequence_detail"),
    path("<int:pk>/edit/", views.sequence_edit, name="sequence_edit"),
    path("<int:pk>/delete/", views.sequence_delete, name="sequence_delete"),
    path("<int:pk>/steps/new/", views.step_create, name="sequence_step_create"),
    path("<int:pk>/steps/<int:step_pk>/edit/", views.step_edit, name="sequence_step_edit"),
    path("<int:pk>/steps/<int:step_pk>/delete/", views.step_delete, name="sequence_step_delete"),
    path("<int:pk>/steps/<int:step_pk>/move/", views.step_move, name="sequence_step_move"),
    path(
        "<int:pk>/enrollments/<int:enrollment_pk>/remove/",
        views.enrollment_remove,
        name="sequence_enrollment_remove",
    ),
]
