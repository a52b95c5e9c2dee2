from django.urls import path

from . import report_views, sla_report_views

urlpatterns = [
    path("reports/lead-quality/", report_views.lead_quality, name="lead_quality"),
    path("reports/conversion/", report_views.conversion, name="conversion"),
    path("reports/sla/", sla_report_views.sla_report, name="sla_report"),
]
