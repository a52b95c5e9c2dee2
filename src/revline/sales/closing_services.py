"""Writes for closing settings: the lists of won/lost reasons (competitors: revline.competitors)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User

from .models import CloseReason, StageKind

REASONS_DENIED = "Only sales managers and admins can change the close reasons."


def can_manage_close_reasons(user: User) -> bool:
    return permissions.can_manage_pipelines(user)


def _clean_reason_name(kind: str, name: str, *, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the reason a name."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    clash = CloseReason.objects.filter(kind=kind, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": "This reason is already in the list."})
    return name


@transaction.atomic
def close_reason_create(*, actor: User, kind: str, name: str) -> CloseReason:
    """Add a reason at the end of its list (won or lost)."""
    permissions.require(can_manage_close_reasons(actor), REASONS_DENIED)
    if kind not in (StageKind.WON, StageKind.LOST):
        raise ValidationError({"kind": "A close reason is for won or for lost deals."})
    name = _clean_reason_name(kind, name)
    position = (CloseReason.objects.filter(kind=kind).aggregate(m=Max("position"))["m"] or 0) + 1
    reason = CloseReason.objects.create(kind=kind, name=name, position=position)
    audit_create(actor=actor, obj=reason)
    return reason


def close_reason_rename(*, actor: User, reason: CloseReason, name: str) -> CloseReason:
    """Rename a reason; closed deals keep pointing at it, so their history reads the new name."""
    permissions.require(can_manage_close_reasons(actor), REASONS_DENIED)
    name = _clean_reason_name(reason.kind, name, exclude_pk=reason.pk)
    before = snapshot(reason)
    reason.name = name
    reason.save(update_fields=["name"])
    audit_update(actor=actor, obj=reason, before=before)
    return reason


def close_reason_set_active(*, actor: User, reason: CloseReason, is_active: bool) -> CloseReason:
    """Retire a reason from the closing form (or bring it back); deals closed with it keep it."""
    permissions.require(can_manage_close_reasons(actor), REASONS_DENIED)
    before = snapshot(reason)
    reason.is_active = is_active
    reason.save(update_fields=["is_active"])
    audit_update(actor=actor, obj=reason, before=before)
    return reason


@transaction.atomic
def close_reason_move(*, actor: User, reason: CloseReason, up: bool) -> CloseReason:
    """Swap the reason with its neighbour in its list; positions are renumbered 1..n."""
    permissions.require(can_manage_close_reasons(actor), REASONS_DENIED)
    reasons = list(
        CloseReason.objects.select_for_update()
        .filter(kind=reason.kind)
        .order_by("position", "name")
    )
    index = next(i for i, r in enumerate(reasons) if r.pk == reason.pk)
    target = index - 1 if up else index + 1
    if 0 <= target < len(reasons):
        reasons[index], reasons[target] = reasons[target], reasons[index]
    for position, item in enumerate(reasons, start=1):
        if item.position != position:
            before = snapshot(item, fields=["position"])
            item.position = position
            item.save(update_fields=["position"])
            audit_update(actor=actor, obj=item, before=before)
    reason.refresh_from_db()
    return reason


@transaction.atomic
def close_reason_delete(*, actor: User, reason: CloseReason) -> None:
    """Delete a reason no deal was closed with; a used one can only be retired."""
    permissions.require(can_manage_close_reasons(actor), REASONS_DENIED)
    if reason.deals.exists():
        raise ValidationError(
            {"reason": "Deals were closed with this reason: retire it instead (is_active false)."}
        )
    audit_delete(actor=actor, obj=reason)
    reason.delete()
