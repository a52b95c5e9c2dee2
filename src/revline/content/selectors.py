"""Landing-page reads for the management pages."""

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, QuerySet, Value, When
from django.db.models.functions import Cast

from revline.campaigns.models import Campaign
from revline.tracking.models import Touchpoint, TouchpointKind

from .models import FormSubmission, LandingPage

RECENT_SUBMISSIONS = 25


def landing_pages_with_counts() -> QuerySet[LandingPage]:
    """Pages with `submission_count`, plus string keys (`campaign_key`, `state`) for list filters.

    The string keys let any query-string value be compared safely: junk simply matches nothing.
    """
    return LandingPage.objects.select_related("campaign").annotate(
        submission_count=Count("submissions"),
        campaign_key=Cast("campaign_id", CharField()),
        state=Case(
            When(is_published=True, then=Value("published")),
            default=Value("draft"),
            output_field=CharField(),
        ),
    )


def landing_page_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.filter(landing_pages__isnull=False).distinct().order_by("name")


def conversion_rate(submissions: int, views: int) -> float | None:
    """Submissions per page view, in percent; None before the first view."""
    if views <= 0:
        return None
    return round(100 * submissions / views, 1)


@dataclass(frozen=True)
class LandingPageDetail:
    page: LandingPage
    page_views: int
    unique_visitors: int
    submissions: int
    contacts: int
    conversion_rate: float | None
    recent_submissions: list[FormSubmission]


def landing_page_detail(page: LandingPage) -> LandingPageDetail:
    views = Touchpoint.objects.filter(
        kind=TouchpointKind.PAGE_VIEW, params__landing_page=page.slug
    ).aggregate(n=Count("pk"), visitors=Count("visitor", distinct=True))
    submitted = page.submissions.aggregate(n=Count("pk"), contacts=Count("contact", distinct=True))
    recent = page.submissions.select_related("contact").order_by("-submitted_at", "-pk")
    return LandingPageDetail(
        page=page,
        page_views=views["n"],
        unique_visitors=views["visitors"],
        submissions=submitted["n"],
        contacts=submitted["contacts"],
        conversion_rate=conversion_rate(submitted["n"], views["n"]),
        recent_submissions=list(recent[:RECENT_SUBMISSIONS]),
    )
