from django.urls import path  # noqa: F401 -- routes are added as the views are written

app_name = "research"
urlpatterns: list = []
