"""PR reads: the list pages, a media contact's and a release's full picture, and the PR page."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DateField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.http import HttpRequest

from revline.campaigns.models import Campaign
from revline.core.listing import MAX_ID, Column, Listing, build_listing

from .metrics import Mention, MonthPoint, ShareOfVoice, monthly_series, percent, share_of_voice
from .models import (
    Coverage,
    MediaContact,
    MediaInteraction,
    PrCompetitor,
    PressRelease,
    ReleaseStatus,
    ReleaseTransition,
)
from .services import release_next_statuses

HISTORY_LIMIT = 200
RECENT_COVERAGE = 8

MEDIA_CONTACT_COLUMNS = (
    Column("name", "Name", "name"),
    Column("outlet", "Outlet", "outlet"),
    Column("beat", "Beat", "beat"),
    Column("email", "Email", "email"),
    Column("last", "Last interaction", "last_interaction"),
    Column("coverage", "Coverage", "coverage_count"),
)
RELEASE_COLUMNS = (
    Column("title", "Title", "title"),
    Column("status", "Status", "status"),
    Column("campaign", "Campaign", "campaign__name"),
    Column("embargo", "Embargo", "embargo_until"),
    Column("distributed", "Distributed", "distributed_at"),
    Column("recipients", "Recipients", "recipient_count"),
    Column("coverage", "Coverage", "coverage_count"),
    Column("created", "Created", "created_at"),
)
COVERAGE_COLUMNS = (
    Column("published", "Published", "published_on"),
    Column("title", "Title", "title"),
    Column("outlet", "Outlet", "outlet"),
    Column("reach", "Reach", "reach"),
    Column("sentiment", "Sentiment", "sentiment"),
    Column("mentions", "Mentions"),
    Column("release", "Release / campaign", "release__title"),
)


def _id_param(params: Mapping[str, str], name: str) -> bool:
    """Whether `?name=` is a usable record id (anything else is ignored, not a server error)."""
    value = params.get(name, "")
    return value.isdigit() and int(value) <= MAX_ID


# --- Media contacts ----------------------------------------------------------------------------


def media_contacts_with_stats() -> QuerySet[MediaContact]:
    latest = (
        MediaInteraction.objects.filter(media_contact=OuterRef("pk"))
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    return MediaContact.objects.select_related("owner").annotate(
        last_interaction=Subquery(latest, output_field=DateField()),
        coverage_count=Count("coverage", distinct=True),
    )


def media_contact_listing(request: HttpRequest) -> Listing:
    return build_listing(
        request,
        media_contacts_with_stats(),
        columns=MEDIA_CONTACT_COLUMNS,
        search_fields=("name", "outlet", "beat", "email"),
        filters={"outlet": "outlet__iexact", "beat": "beat__iexact"},
        default_sort="name",
    )


@dataclass(frozen=True)
class MediaContactFilterOptions:
    outlets: list[str]
    beats: list[str]


def _distinct(field: str) -> list[str]:
    values = (
        MediaContact.objects.exclude(**{field: ""})
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()[:300]
    )
    return list(values)


def media_contact_filter_options() -> MediaContactFilterOptions:
    return MediaContactFilterOptions(outlets=_distinct("outlet"), beats=_distinct("beat"))


@dataclass(frozen=True)
class MediaContactProfile:
    contact: MediaContact
    history: list[MediaInteraction]
    history_truncated: bool
    releases: list[PressRelease]
    coverage: list[Coverage]


def media_contact_profile(contact: MediaContact) -> MediaContactProfile:
    history = list(
        contact.interactions.select_related("by", "release", "coverage").order_by(
            "-occurred_on", "-created_at", "-pk"
        )[: HISTORY_LIMIT + 1]
    )
    return MediaContactProfile(
        contact=contact,
        history=history[:HISTORY_LIMIT],
        history_truncated=len(history) > HISTORY_LIMIT,
        releases=list(contact.releases_received.order_by("-distributed_at", "-pk")[:50]),
        coverage=list(contact.coverage.select_related("release").order_by("-published_on")[:50]),
    )


def media_contacts_for_distribution() -> QuerySet[MediaContact]:
    return MediaContact.objects.order_by("outlet", "name")


# --- Press releases ----------------------------------------------------------------------------


def releases_with_counts() -> QuerySet[PressRelease]:
    return PressRelease.objects.select_related("campaign").annotate(
        recipient_count=Count("recipients", distinct=True),
        coverage_count=Count("coverage", distinct=True),
    )


def release_listing(request: HttpRequest) -> Listing:
    filters = {"status": "status"}
    if _id_param(request.GET, "campaign"):
        filters["campaign"] = "campaign_id"
    return build_listing(
        request,
        releases_with_counts(),
        columns=RELEASE_COLUMNS,
        search_fields=("title", "summary"),
        filters=filters,
        default_sort="-created",
    )


def campaigns_for_pr() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("name").only("id", "name")


@dataclass(frozen=True)
class ReleaseDetail:
    release: PressRelease
    transitions: list[ReleaseTransition]
    recipients: list[MediaContact]
    coverage: list[Coverage]
    next_statuses: tuple[str, ...]
    coverage_reach: int
    steps: list[tuple[str, str]]  # (label, "done" | "current" | "")


def release_detail(release: PressRelease) -> ReleaseDetail:
    coverage = list(
        release.coverage.select_related("media_contact").order_by("-published_on", "-pk")
    )
    return ReleaseDetail(
        release=release,
        transitions=list(release.transitions.select_related("by").order_by("at", "pk")),
        recipients=list(release.recipients.order_by("outlet", "name")),
        coverage=coverage,
        next_statuses=release_next_statuses(release.status),
        coverage_reach=sum(c.reach for c in coverage),
        steps=release_steps(release.status),
    )


def release_steps(status: str) -> list[tuple[str, str]]:
    order = list(ReleaseStatus.values)
    current = order.index(status) if status in order else 0
    return [
        (label, "current" if i == current else "done" if i < current else "")
        for i, (_, label) in enumerate(ReleaseStatus.choices)
    ]


# --- Coverage ----------------------------------------------------------------------------------


def coverage_queryset() -> QuerySet[Coverage]:
    return Coverage.objects.select_related("release", "campaign", "media_contact").prefetch_related(
        Prefetch("competitors", queryset=PrCompetitor.objects.order_by("name"))
    )


def coverage_listing(request: HttpRequest) -> Listing:
    """`?q=`, `?sentiment=`, `?release=`/`?campaign=` (ids), `?competitor=` (a name) and
    `?about=us|others`; invalid ids are ignored."""
    queryset = coverage_queryset()
    about = request.GET.get("about")
    if about in ("us", "others"):
        queryset = queryset.filter(about_us=about == "us")
    filters = {"sentiment": "sentiment", "competitor": "competitors__name__iexact"}
    for name in ("release", "campaign"):
        if _id_param(request.GET, name):
            filters[name] = f"{name}_id"
    return build_listing(
        request,
        queryset,
        columns=COVERAGE_COLUMNS,
        search_fields=("title", "outlet", "notes"),
        filters=filters,
        default_sort="-published",
    )


def competitor_names() -> list[str]:
    return list(PrCompetitor.objects.order_by("name").values_list("name", flat=True))


def releases_for_choice() -> QuerySet[PressRelease]:
    return PressRelease.objects.order_by("-created_at").only("id", "title", "status")


# --- The PR page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrOverview:
    start: date
    end: date
    series: list[MonthPoint]
    voice: ShareOfVoice
    coverage_count: int
    reach: int
    positive_share: Decimal | None
    releases_by_status: list[tuple[str, str, int]]
    recent: list[Coverage]
    media_contacts: int


def coverage_mentions(*, start: date, end: date) -> list[Mention]:
    rows = Coverage.objects.filter(published_on__gte=start, published_on__lte=end).prefetch_related(
        Prefetch("competitors", queryset=PrCompetitor.objects.only("id", "name"))
    )
    return [
        Mention(
            published_on=row.published_on,
            reach=row.reach,
            sentiment=row.sentiment,
            about_us=row.about_us,
            competitors=tuple(c.name for c in row.competitors.all()),
        )
        for row in rows.only("id", "published_on", "reach", "sentiment", "about_us")
    ]


def coverage_report(*, start: date, end: date) -> tuple[list[MonthPoint], ShareOfVoice]:
    mentions = coverage_mentions(start=start, end=end)
    return monthly_series(mentions, start=start, end=end), share_of_voice(mentions)


def pr_overview(*, start: date, end: date) -> PrOverview:
    mentions = coverage_mentions(start=start, end=end)
    series = monthly_series(mentions, start=start, end=end)
    ours = [m for m in mentions if m.about_us]
    counts = dict(PressRelease.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return PrOverview(
        start=start,
        end=end,
        series=series,
        voice=share_of_voice(mentions),
        coverage_count=len(ours),
        reach=sum(m.reach for m in ours),
        positive_share=percent(sum(1 for m in ours if m.sentiment == "positive"), len(ours)),
        releases_by_status=[
            (value, label, counts.get(value, 0)) for value, label in ReleaseStatus.choices
        ],
        recent=list(
            coverage_queryset()
            .filter(published_on__gte=start, published_on__lte=end)
            .order_by("-published_on", "-pk")[:RECENT_COVERAGE]
        ),
        media_contacts=MediaContact.objects.count(),
    )


def coverage_totals_for_campaign(campaign: Campaign) -> dict[str, int]:
    """Coverage count and reach linked to a campaign (for other areas that show PR results)."""
    totals = Coverage.objects.filter(campaign=campaign).aggregate(
        n=Count("pk", filter=Q(about_us=True)), reach=Sum("reach", filter=Q(about_us=True))
    )
    return {"coverage": totals["n"], "reach": totals["reach"] or 0}
