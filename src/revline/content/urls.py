from django.urls import path

from revline.core.placeholder import todo

from . import views

app_name = "content"
urlpatterns = [
    path("lp/<slug:slug>", views.landing_page, name="landing_page"),
    path("lp/<slug:slug>/thanks", views.landing_page_thanks, name="landing_page_thanks"),
    path("pages/", todo, name="pages"),
]
