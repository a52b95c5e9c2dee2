from django.urls import URLPattern, URLResolver, path

from . import delivery_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("u/<str:token>", delivery_views.unsubscribe, name="unsubscribe"),
    path("p/<str:token>", delivery_views.preferences, name="preferences"),
    path("confirm/<str:token>", delivery_views.confirm, name="confirm"),
    path("dsn/<str:secret>", delivery_views.dsn_webhook, name="dsn_webhook"),
]
