from django.urls import include, path

app_name = "leads"
urlpatterns = [
    # One URL module per area of the hand-off; all share the "leads" namespace.
    path("", include("revline.leads.scoring_urls")),
    path("", include("revline.leads.predictive_urls")),
    path("", include("revline.leads.handoff_urls")),
    path("", include("revline.leads.report_urls")),
]
