from django.urls import path

from . import views

app_name = "tracking"
urlpatterns = [
    path("t/c/<str:token>", views.click, name="click"),
    path("t/collect", views.collect, name="collect"),
    path("t/revline.js", views.snippet, name="snippet"),
]
