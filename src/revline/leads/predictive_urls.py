from django.urls import path

from . import predictive_views

urlpatterns = [
    path("predictive/", predictive_views.predictive_report, name="predictive"),
    path("predictive/retrain/", predictive_views.predictive_retrain, name="predictive_retrain"),
    path(
        "predictive/runs/<int:pk>/status/",
        predictive_views.predictive_run_status,
        name="predictive_run_status",
    ),
    path(
        "contacts/<int:pk>/prediction/",
        predictive_views.contact_prediction_panel,
        name="contact_prediction_panel",
    ),
]
