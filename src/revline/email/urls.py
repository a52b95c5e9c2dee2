"""The email section (/email/): each area keeps its own URL module."""

from django.urls import include, path

from . import template_views

app_name = "email"

urlpatterns = [
    path("", include("revline.email.send_urls")),
    path("templates/", include("revline.email.template_urls")),
    path("sequences/", include("revline.email.sequence_urls")),
    path("", include("revline.email.delivery_urls")),
    path("outbox/", include("revline.email.outbox_urls")),
    path("settings/", template_views.email_settings, name="settings"),
]
