from django.urls import path

from . import scoring_views as views

urlpatterns = [
    path("scoring/", views.scoring_page, name="scoring"),
    path("scoring/settings/", views.scoring_settings, name="scoring_settings"),
    path("scoring/fit/", views.fit_rule_create, name="fit_rule_create"),
    path("scoring/fit/<int:pk>/edit/", views.fit_rule_edit, name="fit_rule_edit"),
    path("scoring/fit/<int:pk>/change/", views.fit_rule_change, name="fit_rule_change"),
    path("scoring/engagement/", views.engagement_rule_create, name="engagement_rule_create"),
    path(
        "scoring/engagement/<int:pk>/edit/",
        views.engagement_rule_edit,
        name="engagement_rule_edit",
    ),
    path(
        "scoring/engagement/<int:pk>/change/",
        views.engagement_rule_change,
        name="engagement_rule_change",
    ),
    path("contacts/<int:pk>/score/", views.contact_score_panel, name="contact_score_panel"),
    path("companies/<int:pk>/score/", views.company_score_panel, name="company_score_panel"),
]
