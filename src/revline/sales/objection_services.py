"""Writes for objections: the library of types and recommended responses, and objections on deals."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.content.models import ContentItem
from revline.core import permissions
from revline.core.models import Role, User

from .models import (
    Deal,
    Objection,
    ObjectionOutcome,
    ObjectionResponse,
    ObjectionType,
    Stage,
)

LIBRARY_DENIED = "Only sales managers, marketers and admins can edit the objection library."
DEAL_DENIED = "You can only log objections on deals of your own team."

DEFAULT_TYPES: list[tuple[str, str]] = [
    ("Price", "The buyer finds the price too high for the value they see."),
    ("Budget", "There is no budget, or not enough of it, this period."),
    ("Timing", "Not now: other priorities, a freeze, a reorganisation."),
    ("Competitor", "The buyer prefers, or is also looking at, another vendor."),
    ("Authority", "The person we talk to cannot decide alone."),
    ("Need", "The buyer does not see the problem we solve as urgent or real."),
    ("Trust", "Doubts about us: references, security, stability, support."),
    ("Product fit", "A feature is missing or works differently from what they need."),
]


def can_edit_library(user: User) -> bool:
    """Managers and admins own the sales method; marketers write the answers and content."""
    return permissions.is_admin(user) or (
        user.is_active and user.role in (Role.SALES_MANAGER, Role.MARKETER)
    )


def objection_types_ensure_defaults() -> int:
    """Seed the default objection types while the library is empty; returns how many it created.

    Idempotent, and never brings back a default someone renamed or retired.
    """
    if ObjectionType.objects.exists():
        return 0
    created = 0
    for position, (name, description) in enumerate(DEFAULT_TYPES, start=1):
        _, was_created = ObjectionType.objects.get_or_create(
            name=name, defaults={"description": description, "position": position * 10}
        )
        created += was_created
    return created


def _clean_name(name: str, *, exclude_pk: int | None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the objection type a name."})
    clash = ObjectionType.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": "An objection type with this name already exists."})
    return name


@transaction.atomic
def objection_type_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    content: Iterable[ContentItem] = (),
    is_active: bool = True,
    position: int | None = None,
) -> ObjectionType:
    permissions.require(can_edit_library(actor), LIBRARY_DENIED)
    name = _clean_name(name, exclude_pk=None)
    if position is None:
        position = (ObjectionType.objects.aggregate(m=Max("position"))["m"] or 0) + 10
    try:
        with transaction.atomic():
            objection_type = ObjectionType.objects.create(
                name=name, description=description.strip(), is_active=is_active, position=position
            )
    except IntegrityError as exc:  # a concurrent create of the same name
        raise ValidationError({"name": "An objection type with this name already exists."}) from exc
    objection_type.content.set(list(content))
    audit_create(actor=actor, obj=objection_type)
    return objection_type


@transaction.atomic
def objection_type_update(
    *,
    actor: User,
    objection_type: ObjectionType,
    name: str,
    description: str,
    content: Iterable[ContentItem],
    is_active: bool,
    position: int,
) -> ObjectionType:
    permissions.require(can_edit_library(actor), LIBRARY_DENIED)
    before = snapshot(objection_type)
    content_before = sorted(objection_type.content.values_list("pk", flat=True))
    objection_type.name = _clean_name(name, exclude_pk=objection_type.pk)
    objection_type.description = description.strip()
    objection_type.is_active = is_active
    objection_type.position = position
    objection_type.save()
    objection_type.content.set(list(content))
    content_after = sorted(objection_type.content.values_list("pk", flat=True))
    extra = {"content": [content_before, content_after]} if content_before != content_after else {}
    audit_update(actor=actor, obj=objection_type, before=before, extra=extra)
    return objection_type


@transaction.atomic
def objection_type_delete(*, actor: User, objection_type: ObjectionType) -> None:
    """Delete a type nobody used; one logged on deals is retired (made inactive) instead,
    so that its objections and their statistics stay."""
    permissions.require(can_edit_library(actor), LIBRARY_DENIED)
    if objection_type.objections.exists():
        raise ValidationError(
            "This objection type was logged on deals: retire it (make it inactive) instead."
        )
    audit_delete(actor=actor, obj=objection_type)
    objection_type.delete()


@transaction.atomic
def objection_response_create(
    *, actor: User, objection_type: ObjectionType, title: str, body: str = ""
) -> ObjectionResponse:
    permissions.require(can_edit_library(actor), LIBRARY_DENIED)
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the response a title."})
    position = (objection_type.responses.aggregate(m=Max("position"))["m"] or 0) + 10
    response = ObjectionResponse.objects.create(
        objection_type=objection_type, title=title, body=body.strip(), position=position
    )
    audit_create(actor=actor, obj=response)
    return response


@transaction.atomic
def objection_response_update(
    *, actor: User, response: ObjectionResponse, title: str, body: str, is_active: bool
) -> ObjectionResponse:
    """Edit a response. Retiring it (inactive) keeps the objections that used it, and their stats."""
    permissions.require(can_edit_library(actor), LIBRARY_DENIED)
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the response a title."})
    before = snapshot(response)
    response.title = title
    response.body = body.strip()
    response.is_active = is_active
    response.save()
    audit_update(actor=actor, obj=response, before=before)
    return response


@transaction.atomic
def objection_response_delete(*, actor: User, response: ObjectionResponse) -> None:
    """Delete a response nobody used; one used on deals is retired instead (its stats stay)."""
    permissions.require(can_edit_library(actor), LIBRARY_DENIED)
    if response.uses.exists():
        raise ValidationError(
            "This response was used on deals: retire it (make it inactive) instead."
        )
    audit_delete(actor=actor, obj=response)
    response.delete()


def _check_response(response: ObjectionResponse | None, objection_type: ObjectionType) -> None:
    if response is not None and response.objection_type_id != objection_type.pk:
        raise ValidationError({"response": "That response belongs to another objection type."})


@transaction.atomic
def objection_log(
    *,
    actor: User,
    deal: Deal,
    objection_type: ObjectionType,
    buyer_words: str = "",
    stage: Stage | None = None,
    response: ObjectionResponse | None = None,
    response_notes: str = "",
    outcome: str = ObjectionOutcome.OPEN,
    raised_at: datetime | None = None,
) -> Objection:
    """Record an objection on a deal; the stage defaults to the deal's current one."""
    permissions.require(permissions.can_edit_deal(actor, deal), DEAL_DENIED)
    if not objection_type.is_active:
        raise ValidationError({"objection_type": "This objection type is no longer in use."})
    _check_response(response, objection_type)
    stage = stage or deal.stage
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError({"stage": "That stage belongs to another pipeline."})
    if outcome not in ObjectionOutcome.values:
        raise ValidationError({"outcome": "Choose an outcome from the list."})
    objection = Objection.objects.create(
        deal=deal,
        objection_type=objection_type,
        buyer_words=buyer_words.strip(),
        stage=stage,
        response=response,
        response_notes=response_notes.strip(),
        outcome=outcome,
        raised_at=raised_at or timezone.now(),
        logged_by=actor,
    )
    audit_create(actor=actor, obj=objection)
    from revline.feedback.services import feedback_from_objection

    feedback_from_objection(objection=objection)
    return objection


@transaction.atomic
def objection_update(
    *,
    actor: User,
    objection: Objection,
    outcome: str,
    response: ObjectionResponse | None,
    response_notes: str,
) -> Objection:
    """Record how an objection was answered, and whether that overcame it."""
    permissions.require(permissions.can_edit_deal(actor, objection.deal), DEAL_DENIED)
    if outcome not in ObjectionOutcome.values:
        raise ValidationError({"outcome": "Choose an outcome from the list."})
    _check_response(response, objection.objection_type)
    before = snapshot(objection)
    objection.outcome = outcome
    objection.response = response
    objection.response_notes = response_notes.strip()
    objection.save(update_fields=["outcome", "response", "response_notes", "updated_at"])
    audit_update(actor=actor, obj=objection, before=before)
    return objection


@transaction.atomic
def objection_delete(*, actor: User, objection: Objection) -> None:
    permissions.require(permissions.can_edit_deal(actor, objection.deal), DEAL_DENIED)
    audit_delete(actor=actor, obj=objection)
    objection.delete()
