"""Media contacts, press releases, coverage and the PR report over the JSON API.

Everyone with a token reads; marketers and admins write.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.campaigns.models import Campaign
from revline.core import permissions
from revline.core.api_support import active_user_or_422, api_user, related_or_422, split_relations
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset

from . import selectors, services
from .metrics import period_resolve
from .models import Coverage, MediaContact, PrCompetitor, PressRelease, ReleaseTransition
from .schemas import (
    CoverageFilters,
    CoverageIn,
    CoverageOut,
    CoveragePatch,
    DistributeIn,
    InteractionIn,
    InteractionOut,
    MediaContactFilters,
    MediaContactIn,
    MediaContactOut,
    MediaContactPatch,
    PrReportFilters,
    PrReportOut,
    ReleaseFilters,
    ReleaseIn,
    ReleaseOut,
    ReleasePatch,
    TransitionIn,
)

router = Router(tags=["pr"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _marketer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.can_manage_marketing(user), services.MARKETING_ONLY)
    return user


def _ordered(queryset: QuerySet[Any], sort: str) -> QuerySet[Any]:
    return queryset.order_by(sort, "-pk" if sort.startswith("-") else "pk")


# --- Media contacts ----------------------------------------------------------------------------


def _media_contacts() -> QuerySet[MediaContact]:
    return MediaContact.objects.select_related("owner")


@router.get("/pr/media-contacts", response=list[MediaContactOut])
@paginate(LimitOffset)
def list_media_contacts(request: HttpRequest, filters: Query[MediaContactFilters]) -> Any:
    contacts = _media_contacts()
    if filters.q:
        contacts = contacts.filter(
            Q(name__icontains=filters.q)
            | Q(outlet__icontains=filters.q)
            | Q(beat__icontains=filters.q)
            | Q(email__icontains=filters.q)
        )
    if filters.outlet:
        contacts = contacts.filter(outlet__iexact=filters.outlet)
    if filters.beat:
        contacts = contacts.filter(beat__iexact=filters.beat)
    return _ordered(contacts, filters.sort)


@router.post("/pr/media-contacts", response={201: MediaContactOut, **ERRORS})
def create_media_contact(request: HttpRequest, payload: MediaContactIn) -> Any:
    actor = _marketer(request)
    data = payload.model_dump()
    data["owner"] = active_user_or_422(data.pop("owner_id"))
    contact = services.media_contact_create(actor=actor, **data)
    return Status(201, _media_contacts().get(pk=contact.pk))


@router.get("/pr/media-contacts/{int:contact_id}", response={200: MediaContactOut, 404: ErrorOut})
def get_media_contact(request: HttpRequest, contact_id: int) -> Any:
    return get_object_or_404(_media_contacts(), pk=contact_id)


@router.patch(
    "/pr/media-contacts/{int:contact_id}",
    response={200: MediaContactOut, **ERRORS},
    summary="Change a media contact",
)
def update_media_contact(request: HttpRequest, contact_id: int, payload: MediaContactPatch) -> Any:
    actor = _marketer(request)
    contact = get_object_or_404(MediaContact.objects.all(), pk=contact_id)
    data = payload.model_dump(exclude_unset=True)
    if "owner_id" in data:
        data["owner"] = active_user_or_422(split_relations(data, "owner")["owner"])
    services.media_contact_update(actor=actor, media_contact=contact, **data)
    return _media_contacts().get(pk=contact.pk)


@router.delete(
    "/pr/media-contacts/{int:contact_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a media contact and their history (coverage they wrote stays)",
)
def delete_media_contact(request: HttpRequest, contact_id: int) -> Any:
    actor = _marketer(request)
    contact = get_object_or_404(MediaContact.objects.all(), pk=contact_id)
    services.media_contact_delete(actor=actor, media_contact=contact)
    return Status(204, None)


@router.get(
    "/pr/media-contacts/{int:contact_id}/interactions",
    response={200: list[InteractionOut], 404: ErrorOut},
    summary="The relationship history, newest first",
)
def list_interactions(request: HttpRequest, contact_id: int) -> Any:
    contact = get_object_or_404(MediaContact.objects.all(), pk=contact_id)
    return selectors.media_contact_profile(contact).history


@router.post(
    "/pr/media-contacts/{int:contact_id}/interactions",
    response={201: InteractionOut, **ERRORS},
    summary="Log a pitch, call, email or meeting",
)
def create_interaction(request: HttpRequest, contact_id: int, payload: InteractionIn) -> Any:
    actor = _marketer(request)
    contact = get_object_or_404(MediaContact.objects.all(), pk=contact_id)
    interaction = services.media_interaction_log(
        actor=actor, media_contact=contact, **payload.model_dump()
    )
    return Status(201, interaction)


# --- Press releases ----------------------------------------------------------------------------


def _releases() -> QuerySet[PressRelease]:
    return PressRelease.objects.select_related("campaign", "created_by").prefetch_related(
        Prefetch("recipients", queryset=MediaContact.objects.order_by("outlet", "name")),
        Prefetch(
            "transitions", queryset=ReleaseTransition.objects.select_related("by").order_by("at")
        ),
    )


def _campaign_or_422(pk: int | None) -> Campaign | None:
    return related_or_422(Campaign.objects.all(), pk, field="campaign_id")


@router.get("/pr/releases", response=list[ReleaseOut])
@paginate(LimitOffset)
def list_releases(request: HttpRequest, filters: Query[ReleaseFilters]) -> Any:
    releases = _releases()
    if filters.q:
        releases = releases.filter(Q(title__icontains=filters.q) | Q(summary__icontains=filters.q))
    if filters.status:
        releases = releases.filter(status=filters.status)
    if filters.campaign_id is not None:
        releases = releases.filter(campaign_id=filters.campaign_id)
    return _ordered(releases, filters.sort)


@router.post("/pr/releases", response={201: ReleaseOut, **ERRORS})
def create_release(request: HttpRequest, payload: ReleaseIn) -> Any:
    actor = _marketer(request)
    data = payload.model_dump()
    data["campaign"] = _campaign_or_422(data.pop("campaign_id"))
    release = services.press_release_create(actor=actor, **data)
    return Status(201, _releases().get(pk=release.pk))


@router.get("/pr/releases/{int:release_id}", response={200: ReleaseOut, 404: ErrorOut})
def get_release(request: HttpRequest, release_id: int) -> Any:
    return get_object_or_404(_releases(), pk=release_id)


@router.patch(
    "/pr/releases/{int:release_id}",
    response={200: ReleaseOut, **ERRORS},
    summary="Change a draft release",
)
def update_release(request: HttpRequest, release_id: int, payload: ReleasePatch) -> Any:
    actor = _marketer(request)
    release = get_object_or_404(PressRelease.objects.all(), pk=release_id)
    data = payload.model_dump(exclude_unset=True)
    if "campaign_id" in data:
        data["campaign"] = _campaign_or_422(data.pop("campaign_id"))
    services.press_release_update(actor=actor, release=release, **data)
    return _releases().get(pk=release.pk)


@router.delete(
    "/pr/releases/{int:release_id}",
    response={204: None, **ERRORS},
    summary="Delete a draft release",
)
def delete_release(request: HttpRequest, release_id: int) -> Any:
    actor = _marketer(request)
    release = get_object_or_404(PressRelease.objects.all(), pk=release_id)
    services.press_release_delete(actor=actor, release=release)
    return Status(204, None)


@router.post(
    "/pr/releases/{int:release_id}/transition",
    response={200: ReleaseOut, **ERRORS},
    summary="Submit (→ review), approve (→ approved) or send back (→ draft)",
)
def transition_release(request: HttpRequest, release_id: int, payload: TransitionIn) -> Any:
    actor = _marketer(request)
    release = get_object_or_404(PressRelease.objects.all(), pk=release_id)
    services.press_release_transition(
        actor=actor, release=release, to_status=payload.to_status, note=payload.note
    )
    return _releases().get(pk=release.pk)


@router.post(
    "/pr/releases/{int:release_id}/distribute",
    response={200: ReleaseOut, **ERRORS},
    summary="Record an approved release as distributed to media contacts",
)
def distribute_release(request: HttpRequest, release_id: int, payload: DistributeIn) -> Any:
    actor = _marketer(request)
    release = get_object_or_404(PressRelease.objects.all(), pk=release_id)
    wanted = set(payload.recipient_ids)
    recipients = list(MediaContact.objects.filter(pk__in=wanted))
    missing = sorted(wanted - {c.pk for c in recipients})
    if missing:
        raise ValidationError(
            {
                "recipient_ids": f"There is no media contact with id {', '.join(map(str, missing[:10]))}."
            }
        )
    services.press_release_distribute(
        actor=actor, release=release, recipients=recipients, note=payload.note
    )
    return _releases().get(pk=release.pk)


# --- Coverage ----------------------------------------------------------------------------------


def _coverage() -> QuerySet[Coverage]:
    return Coverage.objects.select_related("release", "campaign", "media_contact").prefetch_related(
        Prefetch("competitors", queryset=PrCompetitor.objects.order_by("name"))
    )


@router.get("/pr/coverage", response=list[CoverageOut])
@paginate(LimitOffset)
def list_coverage(request: HttpRequest, filters: Query[CoverageFilters]) -> Any:
    entries = _coverage()
    if filters.q:
        entries = entries.filter(
            Q(title__icontains=filters.q)
            | Q(outlet__icontains=filters.q)
            | Q(notes__icontains=filters.q)
        )
    if filters.sentiment:
        entries = entries.filter(sentiment=filters.sentiment)
    if filters.about_us is not None:
        entries = entries.filter(about_us=filters.about_us)
    if filters.competitor:
        entries = entries.filter(competitors__name__iexact=filters.competitor)
    if filters.release_id is not None:
        entries = entries.filter(release_id=filters.release_id)
    if filters.campaign_id is not None:
        entries = entries.filter(campaign_id=filters.campaign_id)
    if filters.published_from:
        entries = entries.filter(published_on__gte=filters.published_from)
    if filters.published_to:
        entries = entries.filter(published_on__lte=filters.published_to)
    return _ordered(entries, filters.sort)


@router.post("/pr/coverage", response={201: CoverageOut, **ERRORS})
def create_coverage(request: HttpRequest, payload: CoverageIn) -> Any:
    actor = _marketer(request)
    data = payload.model_dump()
    data["release"] = related_or_422(
        PressRelease.objects.all(), data.pop("release_id"), field="release_id"
    )
    data["campaign"] = _campaign_or_422(data.pop("campaign_id"))
    data["media_contact"] = related_or_422(
        MediaContact.objects.all(), data.pop("media_contact_id"), field="media_contact_id"
    )
    coverage = services.coverage_create(actor=actor, **data)
    return Status(201, _coverage().get(pk=coverage.pk))


@router.get("/pr/coverage/{int:coverage_id}", response={200: CoverageOut, 404: ErrorOut})
def get_coverage(request: HttpRequest, coverage_id: int) -> Any:
    return get_object_or_404(_coverage(), pk=coverage_id)


@router.patch(
    "/pr/coverage/{int:coverage_id}",
    response={200: CoverageOut, **ERRORS},
    summary="Change a coverage entry",
)
def update_coverage(request: HttpRequest, coverage_id: int, payload: CoveragePatch) -> Any:
    actor = _marketer(request)
    coverage = get_object_or_404(Coverage.objects.all(), pk=coverage_id)
    data = payload.model_dump(exclude_unset=True)
    related = split_relations(data, "release", "campaign", "media_contact")
    if "release" in related:
        data["release"] = related_or_422(
            PressRelease.objects.all(), related["release"], field="release_id"
        )
    if "campaign" in related:
        data["campaign"] = _campaign_or_422(related["campaign"])
    if "media_contact" in related:
        data["media_contact"] = related_or_422(
            MediaContact.objects.all(), related["media_contact"], field="media_contact_id"
        )
    services.coverage_update(actor=actor, coverage=coverage, **data)
    return _coverage().get(pk=coverage.pk)


@router.delete(
    "/pr/coverage/{int:coverage_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a coverage entry",
)
def delete_coverage(request: HttpRequest, coverage_id: int) -> Any:
    actor = _marketer(request)
    coverage = get_object_or_404(Coverage.objects.all(), pk=coverage_id)
    services.coverage_delete(actor=actor, coverage=coverage)
    return Status(204, None)


# --- Report ------------------------------------------------------------------------------------


@router.get(
    "/pr/report",
    response={200: PrReportOut, 422: ErrorOut},
    summary="Coverage and reach per month, and share of voice, for a period",
)
def report(request: HttpRequest, filters: Query[PrReportFilters]) -> Any:
    try:
        start, end = period_resolve(filters.start, filters.end, today=timezone.localdate())
    except ValueError as exc:
        raise ValidationError({"start": str(exc)}) from exc
    series, voice = selectors.coverage_report(start=start, end=end)
    return {
        "start": start,
        "end": end,
        "months": series,
        "share_of_voice": [
            {
                "name": row.name,
                "is_us": row.is_us,
                "mentions": row.mentions,
                "share": float(row.share) if row.share is not None else None,
                "reach": row.reach,
                "reach_share": float(row.reach_share) if row.reach_share is not None else None,
            }
            for row in voice.rows
        ],
        "total_mentions": voice.total_mentions,
    }
