from django.urls import URLPattern, URLResolver, path

from . import outbox_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.outbox_list, name="outbox"),
    path("<int:pk>/", views.outbox_detail, name="outbox_detail"),
]
