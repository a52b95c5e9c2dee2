from django.urls import path

from revline.competitors import views as competitor_views

from . import closing_views as views

urlpatterns = [
    path("settings/close-reasons/", views.close_reasons, name="close_reasons"),
    path(
        "settings/close-reasons/<int:pk>/",
        views.close_reason_change,
        name="close_reason_change",
    ),
    # The competitor pages live in revline.competitors; this name stays for the navigation.
    path("competitors/", competitor_views.competitor_list, name="competitors"),
    path("win-loss/", views.win_loss, name="win_loss"),
]
