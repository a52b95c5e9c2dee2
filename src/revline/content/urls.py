from django.urls import path

from . import manage_views, views

app_name = "content"
urlpatterns = [
    path("lp/<slug:slug>", views.landing_page, name="landing_page"),
    path("lp/<slug:slug>/thanks", views.landing_page_thanks, name="landing_page_thanks"),
    path("pages/", manage_views.page_list, name="pages"),
    path("pages/new", manage_views.page_create, name="page_create"),
    path("pages/<int:pk>/", manage_views.page_detail, name="page_detail"),
    path("pages/<int:pk>/edit", manage_views.page_edit, name="page_edit"),
]
