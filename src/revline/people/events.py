"""Typed writers for the sales/system side of a contact's timeline."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import Contact, TimelineEvent, TimelineEventKind


def _write(
    *,
    contact: Contact,
    kind: str,
    source: str,
    actor: Any = None,
    deal: Any = None,
    occurred_at: datetime | None = None,
    **params: Any,
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        contact=contact,
        kind=kind,
        source=source,
        actor=actor,
        deal=deal,
        occurred_at=occurred_at or timezone.now(),
        params=params,
    )


def contact_created(
    *, contact: Contact, source: str, actor: Any = None, occurred_at: datetime | None = None
) -> TimelineEvent:
    return _write(
        contact=contact,
        kind=TimelineEventKind.CONTACT_CREATED,
        source=source,
        actor=actor,
        occurred_at=occurred_at,
    )


def lifecycle_changed(
    *,
    contact: Contact,
    from_stage: str,
    to_stage: str,
    source: str,
    actor: Any = None,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    return _write(
        contact=contact,
        kind=TimelineEventKind.LIFECYCLE_CHANGED,
        source=source,
        actor=actor,
        occurred_at=occurred_at,
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
    )


def consent_changed(
    *, contact: Contact, purpose: str, status: str, source: str, occurred_at: datetime | None = None
) -> TimelineEvent:
    return _write(
        contact=contact,
        kind=TimelineEventKind.CONSENT_CHANGED,
        source=source,
        occurred_at=occurred_at,
        purpose=purpose,
        status=status,
    )


def deal_created(
    *, contact: Contact, deal: Any, actor: Any, occurred_at: datetime | None = None
) -> TimelineEvent:
    return _write(
        contact=contact,
        kind=TimelineEventKind.DEAL_CREATED,
        source="sales",
        actor=actor,
        deal=deal,
        occurred_at=occurred_at,
        deal_name=deal.name,
        amount=str(deal.amount),
        currency=deal.currency,
    )


def deal_stage_changed(
    *,
    contact: Contact,
    deal: Any,
    from_stage: str,
    to_stage: str,
    actor: Any,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    return _write(
        contact=contact,
        kind=TimelineEventKind.DEAL_STAGE_CHANGED,
        source="sales",
        actor=actor,
        deal=deal,
        occurred_at=occurred_at,
        deal_name=deal.name,
        from_stage=from_stage,
        to_stage=to_stage,
    )


def deal_closed(
    *,
    contact: Contact,
    deal: Any,
    won: bool,
    reason: str,
    actor: Any,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    return _write(
        contact=contact,
        kind=TimelineEventKind.DEAL_WON if won else TimelineEventKind.DEAL_LOST,
        source="sales",
        actor=actor,
        deal=deal,
        occurred_at=occurred_at,
        deal_name=deal.name,
        amount=str(deal.amount),
        currency=deal.currency,
        reason=reason,
    )


def activity_logged(*, contact: Contact, activity: Any, actor: Any) -> TimelineEvent:
    return _write(
        contact=contact,
        kind=TimelineEventKind.ACTIVITY,
        source="sales",
        actor=actor,
        deal=activity.deal,
        occurred_at=activity.occurred_at,
        activity_id=activity.pk,
        activity_kind=activity.kind,
        subject=activity.subject,
        body=activity.body[:2000],
    )


def content_share_opened(*, contact: Contact, share: Any, occurred_at: datetime) -> TimelineEvent:
    """The contact opened a content link a rep sent (worded like an email activity)."""
    return _write(
        contact=contact,
        kind=TimelineEventKind.ACTIVITY,
        source="sales",
        deal=share.deal,
        occurred_at=occurred_at,
        activity_kind="email",
        subject=f"Opened shared content: {share.content_item.title}",
        body="",
        content_share_id=share.pk,
    )
