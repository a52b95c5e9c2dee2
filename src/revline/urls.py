from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from revline.core.api import api

urlpatterns = [
    path("", include("revline.core.urls")),
    path("people/", include("revline.people.urls")),
    path("campaigns/", include("revline.campaigns.urls")),
    path("", include("revline.tracking.urls")),
    path("", include("revline.content.urls")),
    path("sales/", include("revline.sales.urls")),
    path("leads/", include("revline.leads.urls")),
    path("reports/", include("revline.analytics.urls")),
    path("pr/", include("revline.pr.urls")),
    path("segments/", include("revline.segments.urls")),
    path("email/", include("revline.email.urls")),
    path("e/", include("revline.email.public_urls")),
    path("", include("revline.quotes.urls")),
    path("", include("revline.sales.share_public_urls")),
    path("", include("revline.experiments.urls")),
    path("", include("revline.surveys.urls")),
    path("", include("revline.feedback.urls")),
    path("", include("revline.competitors.urls")),
    path("", include("revline.research.urls")),
    path("", include("revline.webhooks.urls")),
    path("", include("revline.privacy.urls")),
    path("", include("revline.audit.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

# Provider bounce/complaint webhooks (django-anymail); see settings.ANYMAIL.
if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    urlpatterns.append(path("anymail/", include("anymail.urls")))
