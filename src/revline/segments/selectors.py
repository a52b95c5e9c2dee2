"""Reads for segments: who is in a segment now, counts, the list page, choices for other areas.

A segment is never materialised: each read compiles its definition to one query (compiler.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from revline.campaigns.models import Campaign
from revline.content.models import Form
from revline.core.listing import Column, Listing, build_listing
from revline.core.models import User
from revline.core.visibility import visible_contacts
from revline.people.models import ConsentRecord, Contact, Tag
from revline.sales.models import Stage

from . import definition as defs
from .compiler import compile_definition
from .models import Segment

MEMBERS_PREVIEW = 50

SEGMENT_COLUMNS = (
    Column("name", "Name", "name"),
    Column("count", "Contacts"),
    Column("used", "Used by"),
    Column("updated", "Updated", "updated_at"),
)


def segment_contacts(*, definition: Any, now: datetime | None = None) -> QuerySet[Contact]:
    """The contacts the definition selects at `now`, as one query (ValidationError if invalid)."""
    return Contact.objects.filter(compile_definition(definition, now=now))


def segment_count(*, definition: Any, now: datetime | None = None) -> int:
    return segment_contacts(definition=definition, now=now).order_by().count()


def contact_matches(*, definition: Any, contact_id: int, now: datetime | None = None) -> bool:
    """Whether one contact is in the segment (automation branch steps and entry conditions)."""
    return segment_contacts(definition=definition, now=now).filter(pk=contact_id).exists()


def segment_get(*, pk: int) -> Segment | None:
    return Segment.objects.select_related("created_by").filter(pk=pk).first()


def segment_choices() -> list[tuple[int, str]]:
    """(id, name) of every segment, by name: for the campaign, email and automation forms."""
    return list(Segment.objects.order_by("name", "pk").values_list("id", "name"))


@dataclass(frozen=True)
class SegmentRow:
    segment: Segment
    count: int | None  # None when the stored definition no longer validates
    used_by: list[str]


def _usage(segment: Segment) -> list[str]:
    used: list[str] = []
    emails = getattr(segment, "email_count", 0)
    campaigns = getattr(segment, "campaign_count", 0)
    if emails:
        used.append(f"{emails} email{'s' if emails != 1 else ''}")
    if campaigns:
        used.append(f"{campaigns} campaign{'s' if campaigns != 1 else ''}")
    return used


def _safe_count(
    segment: Segment, now: datetime | None = None, viewer: User | None = None
) -> int | None:
    try:
        if viewer is None:
            return segment_count(definition=segment.definition, now=now)
        members = segment_contacts(definition=segment.definition, now=now)
        return visible_contacts(members, viewer).order_by().count()
    except ValidationError:  # a stored definition gone stale must not break the list
        return None


def segment_listing(
    request: HttpRequest, *, viewer: User | None = None
) -> tuple[Listing, list[SegmentRow]]:
    """The list page: `?q=`, `?sort=`, `?page=`; each row with its live count (of the members
    `viewer` may see, core.visibility) and its users."""
    segments = Segment.objects.annotate(
        email_count=Count("emails", distinct=True), campaign_count=Count("campaigns", distinct=True)
    )
    listing = build_listing(
        request,
        segments,
        columns=SEGMENT_COLUMNS,
        search_fields=("name", "description"),
        default_sort="name",
    )
    rows = [SegmentRow(s, _safe_count(s, viewer=viewer), _usage(s)) for s in listing.page]
    return listing, rows


def segment_labels(definition: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """Names of the campaigns, stages, forms and users a definition refers to (for wording)."""
    refs = defs.references(definition)
    return {
        "campaign": dict(
            Campaign.objects.filter(pk__in=refs["campaign"]).values_list("id", "name")
        ),
        "stage": {
            s.pk: f"{s.pipeline.name} · {s.name}"
            for s in Stage.objects.filter(pk__in=refs["stage"]).select_related("pipeline")
        },
        "form": dict(Form.objects.filter(pk__in=refs["form"]).values_list("id", "name")),
        "user": {u.pk: str(u) for u in User.objects.filter(pk__in=refs["user"])},
    }


@dataclass(frozen=True)
class SegmentDetail:
    segment: Segment
    lines: list[defs.Line]
    count: int | None
    members: list[Contact]
    error: str
    used_by_emails: list[Any]
    used_by_campaigns: list[Campaign]


def segment_detail(
    *, segment: Segment, now: datetime | None = None, viewer: User | None = None
) -> SegmentDetail:
    """The segment page; with `viewer`, its count and members are those `viewer` may see (a sales
    rep with "own" contact visibility sees their part of the audience)."""
    checked = defs.check(segment.definition)
    if checked.errors:
        message = " ".join(checked.errors[path] for path in sorted(checked.errors))
        return SegmentDetail(segment, [], None, [], message, [], [])
    contacts = segment_contacts(definition=checked.definition, now=now)
    if viewer is not None:
        contacts = visible_contacts(contacts, viewer)
    members = list(
        contacts.select_related("company").order_by("-created_at", "-pk")[:MEMBERS_PREVIEW]
    )
    return SegmentDetail(
        segment=segment,
        lines=defs.describe(checked.definition, segment_labels(checked.definition)),
        count=contacts.order_by().count(),
        members=members,
        error="",
        used_by_emails=list(segment.emails.order_by("-created_at")[:20]),
        used_by_campaigns=list(segment.campaigns.order_by("name")[:20]),
    )


def segment_members_for_export(*, segment: Segment) -> QuerySet[Contact]:
    return segment_contacts(definition=segment.definition).order_by("pk")


@dataclass(frozen=True)
class BuilderOptions:
    """Choices the builder offers: existing campaigns, stages, forms, tags, users, purposes."""

    campaigns: list[tuple[int, str]]
    stages: list[tuple[int, str]]
    forms: list[tuple[int, str]]
    tags: list[str]
    users: list[tuple[int, str]]
    purposes: list[str]


def builder_options() -> BuilderOptions:
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__name", "position")
    purposes = set(
        ConsentRecord.objects.order_by().values_list("purpose", flat=True).distinct()[:50]
    )
    purposes.add("marketing_email")
    return BuilderOptions(
        campaigns=list(Campaign.objects.order_by("name").values_list("id", "name")[:500]),
        stages=[(s.pk, f"{s.pipeline.name} · {s.name}") for s in stages],
        forms=list(Form.objects.order_by("name").values_list("id", "name")[:500]),
        tags=list(Tag.objects.order_by("name").values_list("name", flat=True)[:500]),
        users=[(u.pk, str(u)) for u in User.objects.filter(is_active=True).order_by("username")],
        purposes=sorted(purposes),
    )


def missing_references(definition: Mapping[str, Any]) -> list[str]:
    """Words for each campaign, stage, form or user a definition names that does not exist."""
    refs = defs.references(definition)
    models: dict[str, Any] = {
        "campaign": Campaign.objects,
        "stage": Stage.objects,
        "form": Form.objects,
        "user": User.objects,
    }
    missing: list[str] = []
    for kind, ids in refs.items():
        if not ids:
            continue
        found = set(models[kind].filter(pk__in=ids).values_list("pk", flat=True))
        missing.extend(f"There is no {kind} with id {pk}." for pk in sorted(ids - found))
    return missing


def segment_filter_q(*, segment_id: str) -> Q:
    """The list-page filter `?segment=<id>`: its members, or nothing for an unknown or broken
    segment (like any other filter value that matches nothing)."""
    segment = Segment.objects.filter(pk=int(segment_id)).first() if segment_id.isdigit() else None
    if segment is None:
        return Q(pk__in=[])
    try:
        return compile_definition(segment.definition)
    except ValidationError:
        return Q(pk__in=[])
