"""Landing-page reads for the management pages."""

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast

from revline.campaigns.models import Campaign
from revline.core.audience import whole_audience
from revline.core.models import User
from revline.tracking.models import Touchpoint, TouchpointKind

from .models import FormSubmission, LandingPage

RECENT_SUBMISSIONS = 25


def landing_pages_with_counts(*, audience: bool = True) -> QuerySet[LandingPage]:
    """Pages with `submission_count`, plus string keys (`campaign_key`, `state`) for list filters.

    The string keys let any query-string value be compared safely: junk simply matches nothing.
    Without `audience` (a reader who does not see every contact, core.audience) the submission
    count is None.
    """
    return LandingPage.objects.select_related("campaign").annotate(
        submission_count=(
            Count("submissions") if audience else Value(None, output_field=IntegerField())
        ),
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
    # None for a reader who does not see every contact (core.audience).
    unique_visitors: int | None
    submissions: int | None
    contacts: int | None
    conversion_rate: float | None
    recent_submissions: list[FormSubmission]


def landing_page_detail(page: LandingPage, *, viewer: User | None = None) -> LandingPageDetail:
    from .builder_selectors import visible_submissions

    audience = whole_audience(viewer)
    page_views = Touchpoint.objects.filter(
        kind=TouchpointKind.PAGE_VIEW, params__landing_page=page.slug
    )
    views: dict[str, int | None] = {"visitors": None}
    submitted: dict[str, int | None] = {"n": None, "contacts": None}
    if audience:
        views = page_views.aggregate(n=Count("pk"), visitors=Count("visitor", distinct=True))
        submitted = page.submissions.aggregate(
            n=Count("pk"), contacts=Count("contact", distinct=True)
        )
    else:
        views["n"] = page_views.count()
    recent = visible_submissions(page.submissions.all(), viewer)
    recent = recent.select_related("contact").order_by("-submitted_at", "-pk")
    return LandingPageDetail(
        page=page,
        page_views=views["n"] or 0,
        unique_visitors=views["visitors"],
        submissions=submitted["n"],
        contacts=submitted["contacts"],
        conversion_rate=(
            conversion_rate(submitted["n"], views["n"] or 0) if submitted["n"] is not None else None
        ),
        recent_submissions=list(recent[:RECENT_SUBMISSIONS]),
    )
