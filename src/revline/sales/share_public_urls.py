"""Public content links sent to contacts (mount at the site root: /c/<token>)."""

from django.urls import path

from . import share_views

urlpatterns = [
    path("c/<str:token>", share_views.share_open, name="share_open"),
]
