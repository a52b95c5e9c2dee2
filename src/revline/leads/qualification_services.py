"""Qualification: when a contact becomes an MQL, and the hand-off that follows (routing, SLA).

The scoring, form and booking code call these hooks; they decide nothing themselves."""

from datetime import datetime

from django.utils import timezone

from revline.core.models import User
from revline.people.models import Contact, LifecycleStage

from .handoff_services import handoff_open, handoffs_touch
from .models import Handoff, HandoffStatus, LeadSettings, TransitionCause
from .selectors import lead_settings_get
from .services import lifecycle_rank


def may_qualify(contact: Contact) -> bool:
    """Not yet an MQL (or sent back to marketing), not disqualified."""
    stage = contact.lifecycle_stage
    if stage == LifecycleStage.RECYCLED:
        return True
    if stage == LifecycleStage.DISQUALIFIED:
        return False
    return lifecycle_rank(stage) < lifecycle_rank(LifecycleStage.MQL)


def score_rule_reason(*, fit: int, engagement: int, lead_settings: LeadSettings) -> str | None:
    """Why the score thresholds hold ("Fit 25 ≥ 20 and engagement 44 ≥ 40"), or None when they
    do not, or when no threshold is set (then scores alone never qualify)."""
    parts = []
    if lead_settings.mql_fit_min is not None:
        if fit < lead_settings.mql_fit_min:
            return None
        parts.append(f"fit {fit} ≥ {lead_settings.mql_fit_min}")
    if lead_settings.mql_engagement_min is not None:
        if engagement < lead_settings.mql_engagement_min:
            return None
        parts.append(f"engagement {engagement} ≥ {lead_settings.mql_engagement_min}")
    if not parts:
        return None
    text = " and ".join(parts)
    return text[0].upper() + text[1:]


def contact_check_mql(*, contact: Contact, now: datetime | None = None) -> Handoff | None:
    """Called after a contact's scores changed: qualifies the contact as an MQL (and hands it
    off) when the configured score thresholds now hold. Returns the new hand-off, if any."""
    if not may_qualify(contact):
        return None
    reason = score_rule_reason(
        fit=contact.fit_score,
        engagement=contact.engagement_score,
        lead_settings=lead_settings_get(),
    )
    if reason is None:
        return None
    return contact_qualify(contact=contact, cause=TransitionCause.SCORE, reason=reason, now=now)


def contact_qualify(
    *,
    contact: Contact,
    cause: str,
    reason: str,
    now: datetime | None = None,
    actor: User | None = None,
    assignee: User | None = None,
) -> Handoff | None:
    """Qualify the contact as an MQL for `reason` (a hand-raiser form, a booked meeting, a person)
    and hand it off: route to a rep, start the SLA clock, notify. Returns None when the contact is
    already at or past MQL (and not recycled). `assignee` (an active user) skips routing, e.g.
    the rep a meeting was booked with."""
    if cause not in TransitionCause.values:
        raise ValueError(f"{cause!r} is not a transition cause.")
    if cause != TransitionCause.PERSON and not may_qualify(contact):
        return None
    if Handoff.objects.filter(contact=contact, status=HandoffStatus.OPEN).exists():
        return None
    return handoff_open(
        contact=contact,
        cause=cause,
        reason=reason,
        now=now or timezone.now(),
        actor=actor,
        assignee=assignee,
    )


def contact_form_submitted(
    *, contact: Contact, form_id: int, form_name: str, now: datetime | None = None
) -> Handoff | None:
    """A builder form was submitted: a hand-raiser form (e.g. "Contact sales") qualifies."""
    if not lead_settings_get().hand_raiser_forms.filter(pk=form_id).exists():
        return None
    return contact_qualify(
        contact=contact,
        cause=TransitionCause.FORM,
        reason=f"Submitted the hand-raiser form “{form_name}”",
        now=now,
    )


def contact_meeting_booked(
    *, contact: Contact, rep: User, what: str, now: datetime | None = None
) -> Handoff | None:
    """A meeting was booked with `rep`: qualifies when the settings say so; the rep gets it."""
    if not lead_settings_get().mql_on_meeting_booked:
        return None
    handoff = contact_qualify(
        contact=contact,
        cause=TransitionCause.MEETING,
        reason=f"Booked a meeting with {rep} via “{what}”"[:300],
        now=now,
        assignee=rep,
    )
    if handoff is not None and handoff.assigned_to_id == rep.pk:
        # The meeting is the rep's response: nothing for the SLA clock to wait for.
        handoffs_touch(contact=contact, actor=rep, at=handoff.qualified_at)
    return handoff
