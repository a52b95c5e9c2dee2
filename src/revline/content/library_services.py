"""Content library writes, and its rules as pure functions (no ORM) above them.

The workflow runs idea → draft → in review → scheduled → published, one step at a time; an item
in review or scheduled can go back to draft. A new item may start at any status, so content that
already exists can be recorded as it is. Scheduled and published items need a publish date.
"""

from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.campaigns.models import Campaign
from revline.core import permissions
from revline.core.models import User

from .calendar import EARLIEST, LATEST
from .library_selectors import content_item_for_url
from .models import ContentItem, ContentStatus

STATUS_ORDER: list[str] = [
    ContentStatus.IDEA,
    ContentStatus.DRAFT,
    ContentStatus.IN_REVIEW,
    ContentStatus.SCHEDULED,
    ContentStatus.PUBLISHED,
]
BACK_TO_DRAFT_FROM = {ContentStatus.IN_REVIEW, ContentStatus.SCHEDULED}
NEEDS_DATE = {ContentStatus.SCHEDULED, ContentStatus.PUBLISHED}
SUMMARY_MAX_LENGTH = 5000
WRITE_DENIED = "Only marketers and admins manage the content library."


def status_targets(current: str) -> list[str]:
    """The statuses an item in `current` may move to next (not counting staying where it is)."""
    if current not in STATUS_ORDER:
        return []
    index = STATUS_ORDER.index(current)
    targets = STATUS_ORDER[index + 1 : index + 2]
    if current in BACK_TO_DRAFT_FROM:
        targets = [ContentStatus.DRAFT, *targets]
    return targets


def status_change_problem(current: str, target: str) -> str | None:
    if target not in STATUS_ORDER:
        return "Choose a valid status."
    if target == current or target in status_targets(current):
        return None
    allowed = ", ".join(ContentStatus(s).label.lower() for s in status_targets(current))
    where = f"only to {allowed}" if allowed else "no further"
    return (
        f"An item that is {ContentStatus(current).label.lower()} can move {where}, "
        f"not to {ContentStatus(target).label.lower()}."
    )


def publish_date_problem(status: str, publish_date: date | None) -> str | None:
    if publish_date is None:
        if status in NEEDS_DATE:
            return f"A {ContentStatus(status).label.lower()} item needs a publish date."
        return None
    if not EARLIEST <= publish_date <= LATEST:
        return f"Choose a date between {EARLIEST.year} and {LATEST.year}."
    return None


def url_problem(url: str) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "Enter a web address that starts with http:// or https://."
    return None


def move_problem(item: ContentItem, publish_date: date) -> str | None:
    if item.status == ContentStatus.PUBLISHED:
        return "Published content stays on the day it went out; edit the item to correct its date."
    return publish_date_problem(item.status, publish_date)


def _validated(values: dict[str, Any], *, item: ContentItem | None) -> dict[str, Any]:
    """The cleaned values, or a ValidationError naming every bad field; nothing is written."""
    values = {
        **values,
        "title": values["title"].strip(),
        "persona": values["persona"].strip(),
        "url": values["url"].strip(),
        "summary": values["summary"].strip(),
    }
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = "Give the content a title."
    if len(values["summary"]) > SUMMARY_MAX_LENGTH:
        errors["summary"] = f"Keep the summary under {SUMMARY_MAX_LENGTH:,} characters."
    if problem := url_problem(values["url"]):
        errors["url"] = problem
    if item is not None and (problem := status_change_problem(item.status, values["status"])):
        errors["status"] = problem
    if problem := publish_date_problem(values["status"], values["publish_date"]):
        errors["publish_date"] = problem
    if "url" not in errors and values["url"]:
        same = content_item_for_url(values["url"], exclude_pk=item.pk if item else None)
        if same is not None:
            errors["url"] = (
                f"“{same.title}” already has this address; views of a page can be credited "
                "to only one item."
            )
    candidate = ContentItem(pk=item.pk if item else None, **values)
    try:
        candidate.full_clean(exclude=[*errors, "owner", "campaign"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages[0])
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def content_item_create(
    *,
    actor: User,
    title: str,
    kind: str,
    status: str = ContentStatus.IDEA,
    owner: User | None = None,
    persona: str = "",
    funnel_stage: str = "",
    campaign: Campaign | None = None,
    url: str = "",
    publish_date: date | None = None,
    summary: str = "",
) -> ContentItem:
    """Add an item to the library at any status; refused (nothing saved) when a rule is broken."""
    permissions.require(permissions.can_manage_marketing(actor), WRITE_DENIED)
    values = _validated(
        {
            "title": title,
            "kind": kind,
            "status": status,
            "owner": owner,
            "persona": persona,
            "funnel_stage": funnel_stage,
            "campaign": campaign,
            "url": url,
            "publish_date": publish_date,
            "summary": summary,
        },
        item=None,
    )
    item = ContentItem.objects.create(**values)
    audit_create(actor=actor, obj=item)
    return item


@transaction.atomic
def content_item_update(
    *,
    actor: User,
    item: ContentItem,
    title: str,
    kind: str,
    status: str,
    owner: User | None,
    persona: str,
    funnel_stage: str,
    campaign: Campaign | None,
    url: str,
    publish_date: date | None,
    summary: str,
) -> ContentItem:
    """Replace an item's fields; the status may only take an allowed step. All or nothing."""
    permissions.require(permissions.can_manage_marketing(actor), WRITE_DENIED)
    values = _validated(
        {
            "title": title,
            "kind": kind,
            "status": status,
            "owner": owner,
            "persona": persona,
            "funnel_stage": funnel_stage,
            "campaign": campaign,
            "url": url,
            "publish_date": publish_date,
            "summary": summary,
        },
        item=item,
    )
    before = snapshot(item)
    for field, value in values.items():
        setattr(item, field, value)
    item.save()
    audit_update(actor=actor, obj=item, before=before)
    return item


@transaction.atomic
def content_item_set_status(*, actor: User, item: ContentItem, status: str) -> ContentItem:
    """Take one allowed workflow step; the item is unchanged when the step is refused."""
    permissions.require(permissions.can_manage_marketing(actor), WRITE_DENIED)
    if problem := status_change_problem(item.status, status):
        raise ValidationError({"status": problem})
    if problem := publish_date_problem(status, item.publish_date):
        raise ValidationError({"status": f"{problem} Set one first."})
    before = snapshot(item)
    item.status = status
    item.save(update_fields=["status", "updated_at"])
    audit_update(actor=actor, obj=item, before=before)
    return item


@transaction.atomic
def content_item_move(*, actor: User, item: ContentItem, publish_date: date) -> ContentItem:
    """Put an unpublished item on another day of the calendar."""
    permissions.require(permissions.can_manage_marketing(actor), WRITE_DENIED)
    if problem := move_problem(item, publish_date):
        raise ValidationError({"publish_date": problem})
    before = snapshot(item)
    item.publish_date = publish_date
    item.save(update_fields=["publish_date", "updated_at"])
    audit_update(actor=actor, obj=item, before=before)
    return item


@transaction.atomic
def content_item_delete(*, actor: User, item: ContentItem) -> None:
    """Remove an item from the library; its touchpoints stay, no longer credited to it."""
    permissions.require(permissions.can_manage_marketing(actor), WRITE_DENIED)
    audit_delete(actor=actor, obj=item)
    item.delete()
