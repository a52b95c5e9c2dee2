from django.urls import path

from . import views

app_name = "competitors"
urlpatterns = [
    path("sales/competitors/", views.competitor_list, name="list"),
    path("sales/competitors/new/", views.competitor_create, name="create"),
    path("sales/competitors/report/", views.competitor_report, name="report"),
    path("sales/competitors/report.csv", views.competitor_report_csv, name="report_csv"),
    path("sales/competitors/<int:pk>/", views.competitor_detail, name="detail"),
    path("sales/competitors/<int:pk>/edit/", views.competitor_edit, name="edit"),
    path(
        "sales/competitors/<int:pk>/battlecard/",
        views.competitor_battlecard,
        name="battlecard",
    ),
    path("sales/deals/<int:pk>/competitors/", views.deal_panel, name="deal_panel"),
    path("sales/deals/<int:pk>/competitors/add/", views.deal_competitor_add, name="deal_add"),
    path(
        "sales/deals/<int:pk>/competitors/<int:competitor_pk>/remove/",
        views.deal_competitor_remove,
        name="deal_remove",
    ),
]
