from django.urls import path

from . import (
    attribution_views,
    clv_views,
    digest_views,
    executive_views,
    funnel_views,
    marketing_views,
    planner_views,
    views,
)

app_name = "analytics"
urlpatterns = [
    path("attribution/", views.attribution, name="attribution"),
    path(
        "attribution/models/",
        attribution_views.attribution_models,
        name="attribution_models",
    ),
    path("roi/", attribution_views.roi, name="roi"),
    path("marketing/", marketing_views.marketing, name="marketing"),
    path("experiments/sample-size/", planner_views.sample_size, name="sample_size"),
    path("customer-value/", clv_views.customer_value, name="customer_value"),
    path("funnel/", funnel_views.lifecycle_funnel, name="funnel"),
    path("funnel/events/", funnel_views.event_funnel, name="event_funnel"),
    path("executive/", executive_views.executive_page, name="executive"),
    path("digest/", digest_views.digest_settings, name="digest"),
    path("digest/subscribe/", digest_views.digest_subscribe_user, name="digest_subscribe"),
    path(
        "digest/<int:user_id>/unsubscribe/",
        digest_views.digest_unsubscribe_user,
        name="digest_unsubscribe",
    ),
]
