"""Public endpoints under /e/ that recipients reach from an email: no login, rate-limited."""

from django.urls import include, path

app_name = "email_public"

urlpatterns = [
    path("", include("revline.email.send_public_urls")),
    path("", include("revline.email.delivery_public_urls")),
]
