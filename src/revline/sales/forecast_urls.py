from django.urls import path

from . import dashboard_views, forecast_views, quota_views

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("forecast/", forecast_views.forecast, name="forecast"),
    path(
        "forecast/deals/<int:pk>/category/",
        forecast_views.deal_forecast_category,
        name="forecast_deal_category",
    ),
    path("quotas/", quota_views.quotas, name="quotas"),
]
