from django.urls import path

from . import closing_views as views

urlpatterns = [
    path("settings/close-reasons/", views.close_reasons, name="close_reasons"),
    path(
        "settings/close-reasons/<int:pk>/",
        views.close_reason_change,
        name="close_reason_change",
    ),
    path("competitors/", views.competitors, name="competitors"),
    path("competitors/new/", views.competitor_create, name="competitor_create"),
    path("competitors/<int:pk>/edit/", views.competitor_edit, name="competitor_edit"),
    path("win-loss/", views.win_loss, name="win_loss"),
]
