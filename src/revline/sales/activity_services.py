"""Activity writes: log what happened, plan what is to be done, complete it, remind about it.

Who may touch an activity: on a deal, whoever may edit the deal; on a contact or company alone,
any active user. A planned activity is assigned only to someone the actor may hand a deal to,
so a rep never fills another team's day.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User
from revline.email.template_selectors import sender_header
from revline.leads.handoff_services import handoffs_touch
from revline.leads.mentions import mentions_notify
from revline.people import events
from revline.people.models import Company, Contact

from .models import Activity, ActivityKind, Deal

logger = logging.getLogger(__name__)

PLANNABLE_KINDS = {ActivityKind.TASK, ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL}
EDIT_DENIED = "You can only change deals of your own team."
REMINDER_BATCH = 200


def can_edit_activity(user: User, activity: Activity) -> bool:
    """Deal activities follow the deal; contact and company activities are open to active users."""
    if not user.is_active:
        return False
    if activity.deal_id is not None:
        assert activity.deal is not None
        return permissions.can_edit_deal(user, activity.deal)
    return True


def _require_target(
    actor: User | None, deal: Deal | None, contact: Contact | None, company: Company | None
) -> None:
    if deal is None and contact is None and company is None:
        raise ValidationError("An activity belongs to a deal, a contact or a company.")
    if actor is None:
        return
    permissions.require(actor.is_active, "Your account is inactive.")
    if deal is not None:
        permissions.require(permissions.can_edit_deal(actor, deal), EDIT_DENIED)


def _require_assignee(actor: User | None, assignee: User | None) -> None:
    if assignee is None or actor is None:
        return
    if not assignee.is_active or not permissions.can_assign_deal_to(actor, assignee):
        raise ValidationError(
            {"assigned_to": "You can only assign activities to yourself or your own team."}
        )


def _clean_subject(subject: str) -> str:
    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": "Say in a few words what it is about."})
    return subject


def _check_kind(kind: str) -> None:
    if kind not in ActivityKind.values:
        raise ValidationError({"kind": "Pick a kind: call, meeting, email, note or task."})


@transaction.atomic
def activity_log(
    *,
    actor: User | None,
    kind: str,
    subject: str,
    body: str = "",
    deal: Deal | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    occurred_at: datetime | None = None,
) -> Activity:
    """Record something that happened; it goes on the contact's timeline (the deal's contact
    when none is given)."""
    _require_target(actor, deal, contact, company)
    _check_kind(kind)
    contact = contact or (deal.contact if deal else None)
    company = company or (deal.company if deal else None) or (contact.company if contact else None)
    activity = Activity(
        kind=kind,
        subject=_clean_subject(subject),
        body=body.strip(),
        deal=deal,
        contact=contact,
        company=company,
        occurred_at=occurred_at or timezone.now(),
        created_by=actor,
    )
    activity.full_clean()
    activity.save()
    audit_create(actor=actor, obj=activity)
    if contact is not None:
        events.activity_logged(contact=contact, activity=activity, actor=actor)
        handoffs_touch(contact=contact, actor=actor, at=activity.occurred_at)
    if kind == ActivityKind.NOTE:
        mentions_notify(activity=activity, actor=actor)
        from revline.feedback.services import feedback_from_deal_note

        feedback_from_deal_note(activity=activity)
    return activity


@transaction.atomic
def activity_plan(
    *,
    actor: User,
    kind: str,
    subject: str,
    due_at: datetime,
    assigned_to: User | None = None,
    body: str = "",
    deal: Deal | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    remind_at: datetime | None = None,
) -> Activity:
    """Plan a task, call, meeting or email for `assigned_to` (default: the actor) by `due_at`.

    It stays open (and on My day) until completed; the timeline gets it when it is done.
    """
    _require_target(actor, deal, contact, company)
    _check_kind(kind)
    if kind not in PLANNABLE_KINDS:
        raise ValidationError({"kind": "Notes are logged, not planned."})
    assignee = assigned_to or actor
    _require_assignee(actor, assignee)
    if remind_at is not None and remind_at > due_at:
        raise ValidationError({"remind_at": "The reminder must come before the due time."})
    contact = contact or (deal.contact if deal else None)
    company = company or (deal.company if deal else None) or (contact.company if contact else None)
    activity = Activity(
        kind=kind,
        subject=_clean_subject(subject),
        body=body.strip(),
        deal=deal,
        contact=contact,
        company=company,
        occurred_at=due_at,
        due_at=due_at,
        assigned_to=assignee,
        remind_at=remind_at,
        created_by=actor,
    )
    activity.full_clean()
    activity.save()
    audit_create(actor=actor, obj=activity)
    return activity


def _require_editable(actor: User, activity: Activity) -> None:
    permissions.require(can_edit_activity(actor, activity), EDIT_DENIED)


@transaction.atomic
def activity_complete(
    *, actor: User, activity: Activity, outcome: str = "", at: datetime | None = None
) -> Activity:
    """Mark a planned activity done (with what came of it); it then joins the timeline."""
    _require_editable(actor, activity)
    outcome = outcome.strip()
    if len(outcome) > 200:
        raise ValidationError({"outcome": "Keep the outcome under 200 characters."})
    if activity.completed_at is not None:
        raise ValidationError("This activity is already done.")
    if activity.due_at is None:
        raise ValidationError("Only planned activities can be completed.")
    at = at or timezone.now()
    before = snapshot(activity)
    activity.completed_at = at
    activity.occurred_at = at
    activity.outcome = outcome
    activity.save(update_fields=["completed_at", "occurred_at", "outcome"])
    audit_update(actor=actor, obj=activity, before=before)
    if activity.contact is not None:
        events.activity_logged(contact=activity.contact, activity=activity, actor=actor)
        handoffs_touch(contact=activity.contact, actor=actor, at=at)
    return activity


@transaction.atomic
def activity_reopen(*, actor: User, activity: Activity) -> Activity:
    _require_editable(actor, activity)
    if activity.completed_at is None:
        return activity
    before = snapshot(activity)
    activity.completed_at = None
    activity.outcome = ""
    assert activity.due_at is not None
    activity.occurred_at = activity.due_at
    activity.save(update_fields=["completed_at", "outcome", "occurred_at"])
    audit_update(actor=actor, obj=activity, before=before)
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity: Activity,
    kind: str | None = None,
    subject: str | None = None,
    body: str | None = None,
    occurred_at: datetime | None = None,
    due_at: datetime | None = None,
    assigned_to: User | None = None,
    remind_at: datetime | None = None,
    clear_reminder: bool = False,
) -> Activity:
    """Change an activity; a new reminder time re-arms the reminder.

    A logged activity moves with `occurred_at`, a planned one with `due_at`. The timeline
    entry written when it was logged stays as it was: it records what was said then."""
    _require_editable(actor, activity)
    before = snapshot(activity)
    if kind is not None:
        _check_kind(kind)
        if kind == ActivityKind.NOTE and activity.due_at is not None:
            raise ValidationError({"kind": "Notes are logged, not planned."})
        activity.kind = kind
    if occurred_at is not None:
        if activity.due_at is not None:
            raise ValidationError({"occurred_at": "A planned activity happens at its due time."})
        activity.occurred_at = occurred_at
    if subject is not None:
        activity.subject = _clean_subject(subject)
    if body is not None:
        activity.body = body.strip()
    if due_at is not None:
        if activity.due_at is None:
            raise ValidationError({"due_at": "A logged activity has no due time."})
        activity.due_at = due_at
        if activity.completed_at is None:
            activity.occurred_at = due_at
    if assigned_to is not None and assigned_to.pk != activity.assigned_to_id:
        _require_assignee(actor, assigned_to)
        activity.assigned_to = assigned_to
    if clear_reminder:
        activity.remind_at = None
        activity.reminded_at = None
    elif remind_at is not None:
        if activity.due_at is None:
            raise ValidationError({"remind_at": "Only planned activities have reminders."})
        if remind_at > activity.due_at:
            raise ValidationError({"remind_at": "The reminder must come before the due time."})
        if remind_at != activity.remind_at:
            activity.remind_at = remind_at
            activity.reminded_at = None
    activity.full_clean()
    activity.save()
    audit_update(actor=actor, obj=activity, before=before)
    return activity


@transaction.atomic
def activity_delete(*, actor: User, activity: Activity) -> None:
    _require_editable(actor, activity)
    audit_delete(actor=actor, obj=activity)
    activity.delete()


def _reminder_mail(activity: Activity) -> tuple[str, str]:
    assert activity.due_at is not None
    due = timezone.localtime(activity.due_at)
    if activity.deal_id is not None:
        path = reverse("sales:deal", args=[activity.deal_id])
    elif activity.contact_id is not None:
        path = reverse("people:contact", args=[activity.contact_id])
    elif activity.company_id is not None:
        path = reverse("people:company", args=[activity.company_id])
    else:
        path = reverse("sales:my_day")
    context = {
        "activity": activity,
        "due": due,
        "url": settings.BASE_URL + path,
        "my_day_url": settings.BASE_URL + reverse("sales:my_day"),
    }
    subject = f"Reminder: {activity.subject} (due {due:%d %b %H:%M})"
    return " ".join(subject.split())[:200], render_to_string(
        "sales/activity_reminder_email.txt", context
    )


def activities_send_reminders(now: datetime | None = None) -> int:
    """Email each due reminder once to the assigned user; returns how many were sent.

    Each reminder is claimed (reminded_at set) and mailed in one transaction: a failed send
    rolls the claim back and is tried again next run; a sent one is never sent twice, even
    with two schedulers running, because the claim only succeeds while reminded_at is empty.
    """
    now = now or timezone.now()
    due_ids = list(
        Activity.objects.filter(
            remind_at__lte=now,
            reminded_at__isnull=True,
            completed_at__isnull=True,
            assigned_to__isnull=False,
        )
        .order_by("remind_at", "pk")
        .values_list("pk", flat=True)[:REMINDER_BATCH]
    )
    sent = 0
    for pk in due_ids:
        try:
            with transaction.atomic():
                claimed = Activity.objects.filter(pk=pk, reminded_at__isnull=True).update(
                    reminded_at=now
                )
                if not claimed:
                    continue
                activity = Activity.objects.select_related("assigned_to").get(pk=pk)
                assignee = activity.assigned_to
                if assignee is None or not assignee.email or not assignee.is_active:
                    continue  # claimed: nobody to tell, and no point retrying
                subject, text = _reminder_mail(activity)
                send_mail(
                    subject=subject,
                    message=text,
                    from_email=sender_header(),
                    recipient_list=[assignee.email],
                )
        except Exception:
            logger.exception("Reminder for activity %s failed; will retry", pk)
            continue
        sent += 1
    return sent
