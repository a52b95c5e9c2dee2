"""Public tracking of campaign emails: the open pixel and the click redirect."""

from django.urls import URLPattern, URLResolver, path

from . import send_public_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("o/<str:token>.gif", views.open_pixel, name="open"),
    path("c/<str:token>/<int:link_id>", views.click, name="click"),
]
