"""Qualification: when a contact becomes an MQL, and the hand-off that follows (routing, SLA).

The scoring, form and booking code call these hooks; they decide nothing themselves."""

from datetime import datetime

from revline.people.models import Contact

from .models import Handoff


def contact_check_mql(*, contact: Contact, now: datetime | None = None) -> Handoff | None:
    """Called after a contact's scores changed: qualifies the contact as an MQL (and hands it
    off) when the configured score thresholds now hold. Returns the new hand-off, if any."""
    return None


def contact_qualify(
    *, contact: Contact, cause: str, reason: str, now: datetime | None = None
) -> Handoff | None:
    """Qualify the contact as an MQL for `reason` (a hand-raiser form, a booked meeting, a person)
    and hand it off: route to a rep, start the SLA clock, notify. Returns None when the contact is
    already at or past MQL (and not recycled)."""
    return None
