"""Writes of quotas: a rep's target of won revenue for a month or a quarter."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User

from .forecast import period_bounds
from .models import Quota, QuotaPeriod

MAX_QUOTA = Decimal("999999999999.99")  # what Quota.amount (14 digits, 2 decimals) holds


@dataclass(frozen=True)
class QuotaEntry:
    user: User
    period_start: date
    amount: Decimal | None  # None removes the quota


def quota_amount_error(amount: Decimal) -> str | None:
    """Why `amount` cannot be a quota, or None when it can."""
    if not amount.is_finite():
        return "Enter a number."
    if amount < 0:
        return "A quota cannot be negative."
    if amount > MAX_QUOTA:
        return "That amount is too large."
    if amount != amount.quantize(Decimal("0.01")):
        return "Use at most two decimal places."
    return None


@transaction.atomic
def quotas_save(*, actor: User, period: str, entries: Sequence[QuotaEntry]) -> int:
    """Set (or, for a None amount, remove) quotas; all of them or, on any error, none.

    The actor must be allowed to set every rep's quota (permissions.can_set_quota); each
    period_start must be the first day of a month or quarter. Returns the number of quotas
    created, changed or removed.
    """
    if period not in QuotaPeriod.values:
        raise ValidationError({"period": "Choose month or quarter."})
    for entry in entries:
        permissions.require(
            permissions.can_set_quota(actor, entry.user),
            "You can only set quotas of your own team.",
        )
    errors: dict[str, list[str]] = {}
    for entry in entries:
        if not (entry.user.is_active and entry.user.role in permissions.SALES_ROLES):
            errors.setdefault("user", []).append(
                f"{entry.user} does not sell: quotas are for active reps and managers."
            )
        if period_bounds(period, entry.period_start)[0] != entry.period_start:
            errors.setdefault("period_start", []).append(
                f"{entry.period_start} is not the first day of a {period}."
            )
        if entry.amount is not None and (message := quota_amount_error(entry.amount)):
            errors.setdefault("amount", []).append(
                f"{entry.user} · {entry.period_start:%b %Y}: {message}"
            )
    if errors:
        raise ValidationError(errors)
    changed = 0
    for entry in entries:
        existing = Quota.objects.filter(
            user=entry.user, period=period, period_start=entry.period_start
        ).first()
        if entry.amount is None:
            if existing is not None:
                audit_delete(actor=actor, obj=existing)
                existing.delete()
                changed += 1
        elif existing is None:
            quota = Quota.objects.create(
                user=entry.user, period=period, period_start=entry.period_start, amount=entry.amount
            )
            audit_create(actor=actor, obj=quota)
            changed += 1
        elif existing.amount != entry.amount:
            before = snapshot(existing)
            existing.amount = entry.amount
            existing.save(update_fields=["amount"])
            audit_update(actor=actor, obj=existing, before=before)
            changed += 1
    return changed
