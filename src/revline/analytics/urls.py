from django.urls import path

from . import marketing_views, views

app_name = "analytics"
urlpatterns = [
    path("attribution/", views.attribution, name="attribution"),
    path("marketing/", marketing_views.marketing, name="marketing"),
]
