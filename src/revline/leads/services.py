from datetime import datetime

from django.db import transaction
from django.utils import timezone

from revline.core.models import User
from revline.people import events
from revline.people.models import LIFECYCLE_ORDER, Contact, LifecycleStage
from revline.webhooks import payloads as webhook_payloads
from revline.webhooks.services import event_emit

from .models import LifecycleTransition


def lifecycle_rank(stage: str) -> int:
    """Position in the forward lifecycle; disqualified and recycled contacts rank as subscribers."""
    try:
        return LIFECYCLE_ORDER.index(LifecycleStage(stage))
    except ValueError:
        return 0


@transaction.atomic
def lifecycle_advance(
    *,
    contact: Contact,
    to_stage: str,
    cause: str,
    actor: User | None = None,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> LifecycleTransition | None:
    """Move the contact forward to `to_stage`. Returns None (and changes nothing) if it is not forward."""
    if to_stage not in LIFECYCLE_ORDER:
        raise ValueError(f"{to_stage!r} is not a forward lifecycle stage.")
    # The stored stage, not the caller's copy: a hook called in between (scoring → MQL) may
    # have moved the contact on, and a stale copy must not move it back.
    from_stage = (
        Contact.objects.select_for_update(of=("self",))
        .values_list("lifecycle_stage", flat=True)
        .get(pk=contact.pk)
    )
    contact.lifecycle_stage = from_stage
    if lifecycle_rank(to_stage) <= lifecycle_rank(from_stage) and from_stage not in (
        LifecycleStage.DISQUALIFIED,
        LifecycleStage.RECYCLED,
    ):
        return None
    occurred_at = occurred_at or timezone.now()
    contact.lifecycle_stage = to_stage
    contact.lifecycle_changed_at = occurred_at
    contact.save(update_fields=["lifecycle_stage", "lifecycle_changed_at", "updated_at"])
    transition = LifecycleTransition.objects.create(
        contact=contact,
        from_stage=from_stage,
        to_stage=to_stage,
        occurred_at=occurred_at,
        cause=cause,
        actor=actor,
        reason=reason,
    )
    events.lifecycle_changed(
        contact=contact,
        from_stage=from_stage,
        to_stage=to_stage,
        source=cause,
        actor=actor,
        reason=reason,
        occurred_at=occurred_at,
    )
    event_emit(
        type="contact.lifecycle_changed",
        payload=webhook_payloads.lifecycle_changed(
            contact, from_stage=from_stage, to_stage=to_stage, cause=cause
        ),
        occurred_at=occurred_at,
    )
    if to_stage in (LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST):
        # Imported here: the email app's sequences call back into this module.
        from revline.email.sequence_services import enrollments_exit_marketing

        enrollments_exit_marketing(contact=contact, reason="Became a customer", now=occurred_at)
    return transition
