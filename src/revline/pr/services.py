"""PR writes: media contacts and their history, the press-release workflow, the coverage log.

Every write takes `actor`: a person needs can_manage_marketing; `actor=None` is for system callers
(demo data, imports). Every write validates the whole record first, so a rejected call changes
nothing.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, TextField
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.campaigns.models import Campaign
from revline.core import permissions
from revline.core.models import User

from .html import html_sanitize
from .metrics import competitor_names_clean
from .models import (
    Coverage,
    InteractionKind,
    MediaContact,
    MediaInteraction,
    PrCompetitor,
    PressRelease,
    ReleaseStatus,
    ReleaseTransition,
    Sentiment,
)

MARKETING_ONLY = "Only marketers and admins manage PR."
BODY_MAX_LENGTH = 100_000
REACH_MAX = 10_000_000_000

# The workflow: draft → review → approved → distributed, and review → draft to rework.
# Distribution records recipients, so it has its own service (press_release_distribute).
RELEASE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReleaseStatus.DRAFT: (ReleaseStatus.REVIEW,),
    ReleaseStatus.REVIEW: (ReleaseStatus.APPROVED, ReleaseStatus.DRAFT),
    ReleaseStatus.APPROVED: (ReleaseStatus.DISTRIBUTED,),
    ReleaseStatus.DISTRIBUTED: (),
}


def release_next_statuses(status: str) -> tuple[str, ...]:
    return RELEASE_TRANSITIONS.get(status, ())


def _require_marketer(actor: User | None) -> None:
    if actor is not None:
        permissions.require(permissions.can_manage_marketing(actor), MARKETING_ONLY)


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _validate(instance: Model, errors: dict[str, str] | None = None, **clean: Any) -> None:
    """full_clean plus the max_length of text fields, which Django only enforces in forms; all
    problems are raised together, field by field."""
    found = dict(errors or {})
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if (
            isinstance(field, TextField)
            and field.max_length
            and len(value or "") > field.max_length
        ):
            found.setdefault(
                field.name,
                f"Ensure this value has at most {field.max_length:,} characters "
                f"(it has {len(value):,}).",
            )
    try:
        instance.full_clean(**clean)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            found.setdefault(name, " ".join(messages))
    if found:
        raise ValidationError(found)


# --- Media contacts ----------------------------------------------------------------------------

MEDIA_CONTACT_FIELDS = frozenset({"name", "outlet", "beat", "email", "phone", "notes", "owner"})


def _media_contact_normalize(contact: MediaContact) -> None:
    for field in ("name", "outlet", "beat", "phone", "notes"):
        setattr(contact, field, _strip(getattr(contact, field)))
    contact.email = _strip(contact.email).lower()


@transaction.atomic
def media_contact_create(
    *,
    actor: User | None,
    name: str,
    outlet: str,
    beat: str = "",
    email: str = "",
    phone: str = "",
    notes: str = "",
    owner: User | None = None,
) -> MediaContact:
    """Create a validated media contact (trimmed text, lower-case email)."""
    _require_marketer(actor)
    contact = MediaContact(
        name=name, outlet=outlet, beat=beat, email=email, phone=phone, notes=notes, owner=owner
    )
    _media_contact_normalize(contact)
    _validate(contact)
    contact.save()
    audit_create(actor=actor, obj=contact)
    return contact


@transaction.atomic
def media_contact_update(
    *, actor: User | None, media_contact: MediaContact, **fields: Any
) -> MediaContact:
    """Change a media contact. Works on a fresh copy: on any error nothing changes."""
    _require_marketer(actor)
    unknown = set(fields) - MEDIA_CONTACT_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    updated = MediaContact.objects.select_for_update().get(pk=media_contact.pk)
    before = snapshot(updated)
    for field, value in fields.items():
        setattr(updated, field, value)
    _media_contact_normalize(updated)
    _validate(updated)
    updated.save()
    audit_update(actor=actor, obj=updated, before=before)
    return updated


@transaction.atomic
def media_contact_delete(*, actor: User | None, media_contact: MediaContact) -> None:
    """Delete a media contact and their relationship history. Coverage they wrote stays (without
    an author) and releases sent to them no longer list them as a recipient."""
    _require_marketer(actor)
    audit_delete(actor=actor, obj=media_contact)
    media_contact.delete()


def media_interaction_log(
    *,
    actor: User | None,
    media_contact: MediaContact,
    kind: str,
    summary: str,
    occurred_on: date | None = None,
    release: PressRelease | None = None,
    coverage: Coverage | None = None,
) -> MediaInteraction:
    """Add one entry to a media contact's relationship history; `occurred_on` defaults to today."""
    _require_marketer(actor)
    interaction = MediaInteraction(
        media_contact=media_contact,
        kind=kind,
        summary=_strip(summary),
        occurred_on=occurred_on or timezone.localdate(),
        release=release,
        coverage=coverage,
        by=actor,
    )
    errors = {}
    if isinstance(interaction.occurred_on, date) and interaction.occurred_on > timezone.localdate():
        errors["occurred_on"] = "The date cannot be in the future."
    _validate(interaction, errors)
    interaction.save()
    audit_create(actor=actor, obj=interaction)
    return interaction


# --- Press releases ----------------------------------------------------------------------------

RELEASE_EDITABLE = frozenset({"title", "summary", "body", "embargo_until", "campaign"})


def _release_prepare(release: PressRelease) -> None:
    release.title = _strip(release.title)
    release.summary = _strip(release.summary)
    errors = {}
    if len(release.body or "") > BODY_MAX_LENGTH:
        errors["body"] = f"The body can be at most {BODY_MAX_LENGTH:,} characters long."
    release.body = html_sanitize(release.body or "").strip()
    _validate(release, errors)


@transaction.atomic
def press_release_create(
    *,
    actor: User | None,
    title: str,
    body: str = "",
    summary: str = "",
    embargo_until: datetime | None = None,
    campaign: Campaign | None = None,
) -> PressRelease:
    """Create a draft release. The body is sanitised to the allow-list of pr.html first."""
    _require_marketer(actor)
    release = PressRelease(
        title=title,
        body=body,
        summary=summary,
        embargo_until=embargo_until,
        campaign=campaign,
        status=ReleaseStatus.DRAFT,
        created_by=actor,
    )
    _release_prepare(release)
    release.save()
    audit_create(actor=actor, obj=release)
    return release


@transaction.atomic
def press_release_update(
    *, actor: User | None, release: PressRelease, **fields: Any
) -> PressRelease:
    """Change a draft release (sanitising the body again). Releases past draft are locked, so
    what was reviewed and approved is what goes out."""
    _require_marketer(actor)
    unknown = set(fields) - RELEASE_EDITABLE
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    updated = PressRelease.objects.select_for_update().get(pk=release.pk)
    if updated.status != ReleaseStatus.DRAFT:
        raise ValidationError(
            f"Only draft releases can be edited; this one is {updated.get_status_display().lower()}."
            + (" Send it back to draft first." if updated.status == ReleaseStatus.REVIEW else "")
        )
    before = snapshot(updated)
    for field, value in fields.items():
        setattr(updated, field, value)
    _release_prepare(updated)
    updated.save()
    audit_update(actor=actor, obj=updated, before=before)
    return updated


@transaction.atomic
def press_release_delete(*, actor: User | None, release: PressRelease) -> None:
    """Delete a draft release. Once submitted, its review and distribution history is kept."""
    _require_marketer(actor)
    locked = PressRelease.objects.select_for_update().get(pk=release.pk)
    if locked.status != ReleaseStatus.DRAFT:
        raise ValidationError(
            {
                "status": "Only draft releases can be deleted; this one is "
                f"{locked.get_status_display().lower()}."
            }
        )
    audit_delete(actor=actor, obj=locked)
    locked.delete()


def _refuse_transition(current: str, to_status: str) -> ValidationError:
    labels = dict(ReleaseStatus.choices)
    return ValidationError(
        {
            "status": f"A release that is {labels.get(current, current).lower()} cannot move to "
            f"{labels.get(to_status, to_status).lower()}."
        }
    )


def _transition(
    *, release: PressRelease, to_status: str, actor: User | None, at: datetime, note: str
) -> None:
    before = snapshot(release, fields=["status", "distributed_at"])
    ReleaseTransition.objects.create(
        release=release,
        from_status=release.status,
        to_status=to_status,
        by=actor,
        at=at,
        note=_strip(note)[:500],
    )
    release.status = to_status
    fields = ["status", "updated_at"]
    if to_status == ReleaseStatus.DISTRIBUTED:
        release.distributed_at = at
        fields.append("distributed_at")
    release.save(update_fields=fields)
    audit_update(actor=actor, obj=release, before=before)


@transaction.atomic
def press_release_transition(
    *,
    actor: User | None,
    release: PressRelease,
    to_status: str,
    note: str = "",
    at: datetime | None = None,
) -> PressRelease:
    """Move a release one step: submit (draft → review), approve (review → approved) or send back
    (review → draft). Any other move raises ValidationError and changes nothing; who and when is
    recorded as a ReleaseTransition."""
    _require_marketer(actor)
    locked = PressRelease.objects.select_for_update().get(pk=release.pk)
    if to_status == ReleaseStatus.DISTRIBUTED and locked.status == ReleaseStatus.APPROVED:
        raise ValidationError({"status": "Distribute the release to choose its recipients."})
    if to_status not in release_next_statuses(locked.status):
        raise _refuse_transition(locked.status, to_status)
    _transition(
        release=locked, to_status=to_status, actor=actor, at=at or timezone.now(), note=note
    )
    return locked


@transaction.atomic
def press_release_distribute(
    *,
    actor: User | None,
    release: PressRelease,
    recipients: Sequence[MediaContact],
    at: datetime | None = None,
    note: str = "",
) -> PressRelease:
    """Mark an approved release distributed to `recipients` (at least one).

    Records the recipients on the release and a "press release sent" interaction in each
    recipient's history. Revline does not send the email itself.
    """
    _require_marketer(actor)
    locked = PressRelease.objects.select_for_update().get(pk=release.pk)
    if locked.status != ReleaseStatus.APPROVED:
        raise _refuse_transition(locked.status, ReleaseStatus.DISTRIBUTED)
    unique = list({contact.pk: contact for contact in recipients}.values())
    if not unique:
        raise ValidationError({"recipients": "Choose at least one media contact."})
    when = at or timezone.now()
    _transition(
        release=locked, to_status=ReleaseStatus.DISTRIBUTED, actor=actor, at=when, note=note
    )
    locked.recipients.set(unique)
    day = timezone.localdate(when)
    MediaInteraction.objects.bulk_create(
        MediaInteraction(
            media_contact=contact,
            occurred_on=day,
            kind=InteractionKind.RELEASE,
            summary=f"Sent the press release “{locked.title}”.",
            release=locked,
            by=actor,
        )
        for contact in unique
    )
    return locked


# --- Coverage ----------------------------------------------------------------------------------

COVERAGE_FIELDS = frozenset(
    {
        "outlet",
        "title",
        "url",
        "published_on",
        "reach",
        "sentiment",
        "about_us",
        "competitors",
        "release",
        "campaign",
        "media_contact",
        "notes",
    }
)


def competitor_names_or_error(names: Iterable[str]) -> list[str]:
    try:
        return competitor_names_clean(names)
    except ValueError as exc:
        raise ValidationError({"competitors": str(exc)}) from exc


def competitors_get_or_create(names: Iterable[str]) -> list[PrCompetitor]:
    """The competitor rows for `names`, matched case-insensitively; unknown names are added."""
    return [
        PrCompetitor.objects.get_or_create(name__iexact=name, defaults={"name": name})[0]
        for name in competitor_names_or_error(names)
    ]


def _coverage_check(coverage: Coverage, competitor_count: int) -> None:
    coverage.outlet = _strip(coverage.outlet)
    coverage.title = _strip(coverage.title)
    coverage.url = _strip(coverage.url)
    coverage.notes = _strip(coverage.notes)
    if coverage.campaign_id is None and coverage.release is not None:
        coverage.campaign_id = coverage.release.campaign_id
    errors: dict[str, str] = {}
    if coverage.reach is not None and coverage.reach > REACH_MAX:
        errors["reach"] = f"Estimated reach can be at most {REACH_MAX:,}."
    if isinstance(coverage.published_on, date) and coverage.published_on > timezone.localdate():
        errors["published_on"] = "The publication date cannot be in the future."
    if not coverage.about_us and competitor_count == 0:
        errors["about_us"] = "An entry must mention us or name at least one competitor."
    if coverage.url and Coverage.objects.filter(url=coverage.url).exclude(pk=coverage.pk).exists():
        errors["url"] = "This address is already in the coverage log."
    # The URL constraint was just checked with a message on its field.
    _validate(coverage, errors, validate_constraints=False)


def _coverage_interaction(actor: User | None, coverage: Coverage) -> None:
    if coverage.media_contact is not None:
        MediaInteraction.objects.create(
            media_contact=coverage.media_contact,
            occurred_on=coverage.published_on,
            kind=InteractionKind.COVERAGE,
            summary=f"Published “{coverage.title}” in {coverage.outlet}.",
            release=coverage.release,
            coverage=coverage,
            by=actor,
        )


@transaction.atomic
def coverage_create(
    *,
    actor: User | None,
    outlet: str,
    title: str,
    published_on: date,
    url: str = "",
    reach: int = 0,
    sentiment: str = Sentiment.NEUTRAL,
    about_us: bool = True,
    competitors: Sequence[str] = (),
    release: PressRelease | None = None,
    campaign: Campaign | None = None,
    media_contact: MediaContact | None = None,
    notes: str = "",
) -> Coverage:
    """Log a piece of coverage. A blank campaign is taken from the linked release; the author
    (`media_contact`) gets a "coverage" entry in their history."""
    _require_marketer(actor)
    coverage = Coverage(
        outlet=outlet,
        title=title,
        url=url,
        published_on=published_on,
        reach=reach,
        sentiment=sentiment,
        about_us=about_us,
        release=release,
        campaign=campaign,
        media_contact=media_contact,
        notes=notes,
        created_by=actor,
    )
    names = competitor_names_or_error(competitors)
    _coverage_check(coverage, len(names))
    coverage.save()
    coverage.competitors.set(competitors_get_or_create(names))
    _coverage_interaction(actor, coverage)
    audit_create(actor=actor, obj=coverage)
    return coverage


@transaction.atomic
def coverage_update(*, actor: User | None, coverage: Coverage, **fields: Any) -> Coverage:
    """Change a coverage entry (`competitors` is a list of names that replaces the old one).

    Works on a fresh copy: on any error nothing changes.
    """
    _require_marketer(actor)
    unknown = set(fields) - COVERAGE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    updated = Coverage.objects.select_for_update().get(pk=coverage.pk)
    before = snapshot(updated)
    previous_names = sorted(updated.competitors.values_list("name", flat=True))
    previous_author = updated.media_contact_id
    names_given = fields.pop("competitors", None)
    names = (
        competitor_names_or_error(names_given)
        if names_given is not None
        else list(updated.competitors.values_list("name", flat=True))
    )
    for field, value in fields.items():
        setattr(updated, field, value)
    _coverage_check(updated, len(names))
    updated.save()
    if names_given is not None:
        updated.competitors.set(competitors_get_or_create(names))
    if updated.media_contact_id != previous_author:
        _coverage_interaction(actor, updated)
    current_names = sorted(updated.competitors.values_list("name", flat=True))
    extra = (
        {"competitors": [previous_names, current_names]} if current_names != previous_names else {}
    )
    audit_update(actor=actor, obj=updated, before=before, extra=extra)
    return updated


@transaction.atomic
def coverage_delete(*, actor: User | None, coverage: Coverage) -> None:
    """Remove an entry from the coverage log (and from the report and share of voice)."""
    _require_marketer(actor)
    audit_delete(actor=actor, obj=coverage)
    coverage.delete()
