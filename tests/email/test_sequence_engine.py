"""The sequence engine: triggers, enrolment and re-entry rules, exit rules, each step kind,
failures, bounded batches and concurrent ticks. Time is passed in explicitly."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from revline.content.services import form_submission_create
from revline.email.models import (
    Enrollment,
    Send,
    SendState,
    SequenceTrigger,
    StepKind,
    Suppression,
    SuppressionReason,
)
from revline.email.sequence_services import (
    enrollment_create,
    enrollments_exit_marketing,
    enrollments_run_due,
    sequences_on_deal_stage_changed,
    sequences_on_form_submitted,
    sequences_on_score_changed,
    sequences_tick,
)
from revline.leads.models import LifecycleTransition, TransitionCause
from revline.leads.services import lifecycle_advance
from revline.people.models import Contact, LifecycleStage, Tag
from revline.people.services import consent_record
from revline.sales.models import Activity, ActivityKind
from revline.sales.services import deal_create, deal_move_stage, pipeline_default
from revline.segments.models import Segment
from revline.tracking.services import RequestInfo

from .sequence_factories import (
    NOW,
    later,
    make_automated_email,
    make_contact,
    make_form,
    make_sequence,
)

pytestmark = pytest.mark.django_db

TASK = (StepKind.CREATE_TASK, {"subject": "Call them", "due_in_days": 2})


def states(sequence) -> list[tuple[str, str, int]]:
    return list(
        Enrollment.objects.filter(sequence=sequence)
        .order_by("pk")
        .values_list("contact__email", "state", "position")
    )


# --- triggers ---------------------------------------------------------------------------------


def test_form_submission_enrols_in_the_sequences_of_that_form_only():
    # Given an active sequence for one form, a draft one for the same form, and one for another
    demo, other = make_form("Demo request"), make_form("Newsletter")
    active = make_sequence(config={"form_id": demo.pk})
    draft = make_sequence(config={"form_id": demo.pk}, status="draft", name="Draft")
    elsewhere = make_sequence(config={"form_id": other.pk}, name="Other")

    # When someone submits the demo form (the real submission service)
    contact, _ = form_submission_create(
        page=None,
        form=demo,
        values={"email": "ada@example.com"},
        consent=False,
        visitor_id=None,
        ip_address=None,
        utm={},
        info=RequestInfo(),
    )

    # Then only the active sequence of that form enrolled them, due at once
    enrollment = Enrollment.objects.get(sequence=active)
    assert (enrollment.contact, enrollment.state, enrollment.position) == (contact, "active", 0)
    assert enrollment.next_run_at == enrollment.entered_at
    assert not Enrollment.objects.filter(sequence__in=[draft, elsewhere]).exists()


def test_deal_entering_the_chosen_stage_enrols_its_contact(marketer, rep_a):
    pipeline = pipeline_default()
    first, proposal = pipeline.stages.order_by("position")[:3:2]
    sequence = make_sequence(
        trigger=SequenceTrigger.DEAL_STAGE_CHANGED,
        config={"pipeline_id": pipeline.pk, "stage_id": proposal.pk},
        is_marketing=False,
    )
    ada = make_contact()
    deal = deal_create(actor=rep_a, name="Big", amount=Decimal("10"), contact=ada, stage=first)
    assert not Enrollment.objects.exists()

    deal_move_stage(actor=rep_a, deal=deal, stage=proposal, at=NOW)

    assert states(sequence) == [("ada@example.com", "active", 0)]
    assert Enrollment.objects.get().entered_at == NOW


def test_deal_without_contact_enrols_nobody(rep_a):
    pipeline = pipeline_default()
    stage = pipeline.stages.order_by("position").first()
    make_sequence(
        trigger=SequenceTrigger.DEAL_STAGE_CHANGED,
        config={"pipeline_id": pipeline.pk, "stage_id": stage.pk},
    )
    deal = deal_create(actor=rep_a, name="Anon", amount=Decimal("1"), stage=stage)

    sequences_on_deal_stage_changed(deal=deal, stage=stage, now=NOW)

    assert not Enrollment.objects.exists()


def test_score_crossing_upwards_enrols_but_staying_above_does_not():
    sequence = make_sequence(trigger=SequenceTrigger.SCORE_CROSSED, config={"score": 50})
    ada, bob = make_contact(), make_contact("bob@example.com")

    sequences_on_score_changed(contact=ada, old_score=40, new_score=55, now=NOW)
    sequences_on_score_changed(contact=bob, old_score=60, new_score=70, now=NOW)

    assert states(sequence) == [("ada@example.com", "active", 0)]


def test_tick_enrols_contacts_whose_score_reached_the_threshold_once():
    sequence = make_sequence(
        trigger=SequenceTrigger.SCORE_CROSSED, config={"score": 50}, steps=[TASK]
    )
    make_contact(fit_score=30, engagement_score=25)
    make_contact("bob@example.com", fit_score=30, engagement_score=10)

    sequences_tick(now=NOW)
    sequences_tick(now=later(minutes=1))

    # Ada entered, ran the task step and finished; the second tick did not enrol her again.
    assert states(sequence) == [("ada@example.com", "completed", 1)]


def test_tick_enrols_segment_members_and_never_twice():
    Tag.objects.create(name="vip")
    segment = Segment.objects.create(
        name="VIPs", definition={"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}
    )
    sequence = make_sequence(
        trigger=SequenceTrigger.JOINED_SEGMENT,
        config={"segment_id": segment.pk},
        steps=[TASK],
        allow_reentry=True,
    )
    ada = make_contact()
    ada.tags.add(Tag.objects.get(name="vip"))
    make_contact("bob@example.com")

    sequences_tick(now=NOW)
    sequences_tick(now=later(hours=1))

    assert states(sequence) == [("ada@example.com", "completed", 1)]
    assert Activity.objects.count() == 1


def test_date_trigger_enrols_contacts_whose_date_was_reached_since_the_sequence_exists():
    sequence = make_sequence(
        trigger=SequenceTrigger.DATE_REACHED, config={"field": "created_at", "days_after": 7}
    )
    type(sequence).objects.filter(pk=sequence.pk).update(created_at=NOW - timedelta(days=3))
    due = make_contact("due@example.com")
    early = make_contact("early@example.com")
    ancient = make_contact("ancient@example.com")
    Contact.objects.filter(pk=due.pk).update(created_at=NOW - timedelta(days=8))
    Contact.objects.filter(pk=early.pk).update(created_at=NOW - timedelta(days=2))
    Contact.objects.filter(pk=ancient.pk).update(created_at=NOW - timedelta(days=400))
    sequence.refresh_from_db()

    sequences_tick(now=NOW)

    assert [e[0] for e in states(sequence)] == ["due@example.com"]


def test_tick_ignores_draft_and_paused_sequences():
    draft = make_sequence(
        trigger=SequenceTrigger.SCORE_CROSSED, config={"score": 0}, status="draft"
    )
    paused = make_sequence(
        trigger=SequenceTrigger.SCORE_CROSSED, config={"score": 0}, status="paused"
    )
    make_contact()

    sequences_tick(now=NOW)

    assert not Enrollment.objects.filter(sequence__in=[draft, paused]).exists()


# --- re-entry ---------------------------------------------------------------------------------


def test_contact_enters_once_unless_reentry_is_allowed():
    form = make_form()
    once = make_sequence(config={"form_id": form.pk}, steps=[TASK], name="Once")
    again = make_sequence(
        config={"form_id": form.pk}, steps=[TASK], name="Again", allow_reentry=True
    )
    ada = make_contact()

    sequences_on_form_submitted(contact=ada, form=form, now=NOW)
    # A second submission while still active enrols nobody anywhere (one active at a time).
    sequences_on_form_submitted(contact=ada, form=form, now=NOW)
    assert Enrollment.objects.count() == 2
    enrollments_run_due(now=NOW)
    sequences_on_form_submitted(contact=ada, form=form, now=later(days=1))

    assert states(once) == [("ada@example.com", "completed", 1)]
    assert states(again) == [
        ("ada@example.com", "completed", 1),
        ("ada@example.com", "active", 0),
    ]


def test_enrolment_refuses_customers_and_suppressed_contacts_in_marketing_sequences_only():
    marketing = make_sequence(name="Marketing")
    onboarding = make_sequence(name="Onboarding", is_marketing=False)
    customer = make_contact("cust@example.com", lifecycle_stage=LifecycleStage.CUSTOMER)
    gone = make_contact("gone@example.com")
    Suppression.objects.create(address="gone@example.com", reason=SuppressionReason.UNSUBSCRIBED)

    assert enrollment_create(sequence=marketing, contact=customer, now=NOW) is None
    assert enrollment_create(sequence=marketing, contact=gone, now=NOW) is None
    assert enrollment_create(sequence=onboarding, contact=customer, now=NOW) is not None
    assert not Enrollment.objects.filter(sequence=marketing).exists()


# --- exits ------------------------------------------------------------------------------------


def test_exit_marketing_ends_active_marketing_enrollments_only():
    marketing = make_sequence(name="Marketing")
    onboarding = make_sequence(name="Onboarding", is_marketing=False)
    ada = make_contact()
    enrollment_create(sequence=marketing, contact=ada, now=NOW)
    enrollment_create(sequence=onboarding, contact=ada, now=NOW)

    count = enrollments_exit_marketing(contact=ada, reason="Unsubscribed", now=later(hours=1))

    assert count == 1
    exited = Enrollment.objects.get(sequence=marketing)
    assert (exited.state, exited.exit_reason, exited.finished_at, exited.next_run_at) == (
        "exited",
        "Unsubscribed",
        later(hours=1),
        None,
    )
    assert Enrollment.objects.get(sequence=onboarding).state == "active"
    assert enrollments_exit_marketing(contact=ada, reason="Again") == 0


def test_becoming_a_customer_leaves_marketing_sequences():
    marketing = make_sequence(steps=[(StepKind.WAIT, {"days": 3})])
    ada = make_contact()
    enrollment_create(sequence=marketing, contact=ada, now=NOW)

    lifecycle_advance(
        contact=ada, to_stage=LifecycleStage.CUSTOMER, cause=TransitionCause.DEAL, occurred_at=NOW
    )

    assert states(marketing) == [("ada@example.com", "exited", 0)]
    assert Enrollment.objects.get().exit_reason == "Became a customer"


def test_a_suppressed_contact_is_stopped_at_the_next_step_even_without_the_hook():
    sequence = make_sequence(steps=[(StepKind.WAIT, {"days": 1}), TASK])
    ada = make_contact()
    enrollment_create(sequence=sequence, contact=ada, now=NOW)
    enrollments_run_due(now=NOW)
    Suppression.objects.create(address="ada@example.com", reason=SuppressionReason.COMPLAINT)

    enrollments_run_due(now=later(days=1))

    assert states(sequence) == [("ada@example.com", "exited", 1)]
    assert Enrollment.objects.get().exit_reason == "Unsubscribed"
    assert not Activity.objects.exists()


def test_non_marketing_sequence_goes_on_for_customers():
    sequence = make_sequence(steps=[TASK], is_marketing=False)
    ada = make_contact(lifecycle_stage=LifecycleStage.CUSTOMER)
    enrollment_create(sequence=sequence, contact=ada, now=NOW)

    enrollments_run_due(now=NOW)

    assert states(sequence) == [("ada@example.com", "completed", 1)]


# --- steps ------------------------------------------------------------------------------------


def run_once(sequence, contact):
    enrollment_create(sequence=sequence, contact=contact, now=NOW)
    enrollments_run_due(now=NOW)
    return Enrollment.objects.get(sequence=sequence, contact=contact)


def test_wait_holds_the_contact_until_its_time_then_steps_run_in_order():
    sequence = make_sequence(
        steps=[
            (StepKind.UPDATE_FIELD, {"add_tag": "nurtured"}),
            (StepKind.WAIT, {"days": 2, "hours": 3}),
            (StepKind.UPDATE_FIELD, {"field": "title", "value": "CTO"}),
        ]
    )
    ada = make_contact()

    enrollment = run_once(sequence, ada)
    assert (enrollment.position, enrollment.next_run_at) == (2, later(days=2, hours=3))
    assert list(ada.tags.values_list("name", flat=True)) == ["nurtured"]
    ada.refresh_from_db()
    assert ada.title == ""

    enrollments_run_due(now=later(days=2))  # not yet due
    ada.refresh_from_db()
    assert ada.title == ""

    enrollments_run_due(now=later(days=2, hours=3))
    ada.refresh_from_db()
    enrollment.refresh_from_db()
    assert ada.title == "CTO"
    assert (enrollment.state, enrollment.position, enrollment.finished_at) == (
        "completed",
        3,
        later(days=2, hours=3),
    )


def test_update_field_removes_a_tag():
    sequence = make_sequence(steps=[(StepKind.UPDATE_FIELD, {"remove_tag": "cold"})])
    ada = make_contact()
    ada.tags.add(Tag.objects.create(name="cold"), Tag.objects.create(name="keep"))

    run_once(sequence, ada)

    assert list(ada.tags.values_list("name", flat=True)) == ["keep"]


def test_change_lifecycle_records_a_rule_transition_naming_the_sequence():
    sequence = make_sequence(steps=[(StepKind.CHANGE_LIFECYCLE, {"stage": "mql"})], name="Warm")
    ada = make_contact(lifecycle_stage=LifecycleStage.LEAD)

    run_once(sequence, ada)

    transition = LifecycleTransition.objects.get(contact=ada)
    assert (transition.from_stage, transition.to_stage, transition.cause) == ("lead", "mql", "rule")
    assert transition.reason == "Sequence “Warm”"
    assert transition.occurred_at == NOW


def test_change_lifecycle_to_customer_ends_the_marketing_sequence_itself():
    sequence = make_sequence(steps=[(StepKind.CHANGE_LIFECYCLE, {"stage": "customer"}), TASK])
    ada = make_contact()

    enrollment = run_once(sequence, ada)

    assert (enrollment.state, enrollment.exit_reason) == ("exited", "Became a customer")
    assert not Activity.objects.exists()


def test_notify_owner_emails_the_owner(marketer, rep_a):
    sequence = make_sequence(
        steps=[(StepKind.NOTIFY_OWNER, {"message": "Ada is hot."})], name="Hot leads"
    )
    ada = make_contact(owner=rep_a)
    nobody = make_contact("bob@example.com")

    run_once(sequence, ada)
    bob_enrollment = run_once(sequence, nobody)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rep_a@example.com"]
    assert message.subject == "Ada: Hot leads"
    assert message.body.startswith("Ada is hot.\n\nContact: Ada <ada@example.com>\n")
    assert f"/people/contacts/{ada.pk}/" in message.body
    assert bob_enrollment.state == "completed"  # no owner: nothing to tell, not a failure


def test_create_task_gives_the_owner_a_task_due_later(rep_a):
    sequence = make_sequence(steps=[TASK], name="Hand-off")
    ada = make_contact(owner=rep_a)

    run_once(sequence, ada)

    task = Activity.objects.get()
    assert (task.kind, task.subject, task.contact, task.created_by) == (
        ActivityKind.TASK,
        "Call them",
        ada,
        rep_a,
    )
    assert task.occurred_at == later(days=2)
    assert task.body == "Created by the sequence “Hand-off”."


def test_branch_sends_matching_contacts_on_and_the_others_to_the_else_step():
    condition = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}
    sequence = make_sequence(
        steps=[
            (StepKind.BRANCH, {"condition": condition, "else_position": 2}),
            (StepKind.UPDATE_FIELD, {"add_tag": "vip-path"}),
            (StepKind.UPDATE_FIELD, {"add_tag": "everyone"}),
        ]
    )
    vip, plain = make_contact(), make_contact("bob@example.com")
    vip.tags.add(Tag.objects.create(name="vip"))

    run_once(sequence, vip)
    run_once(sequence, plain)

    assert sorted(vip.tags.values_list("name", flat=True)) == ["everyone", "vip", "vip-path"]
    assert sorted(plain.tags.values_list("name", flat=True)) == ["everyone"]


def test_branch_on_a_segment_uses_its_current_definition():
    segment = Segment.objects.create(
        name="Lost", definition={"match": "all", "conditions": [{"type": "tag", "tag": "nope"}]}
    )
    sequence = make_sequence(
        steps=[
            (StepKind.BRANCH, {"segment_id": segment.pk, "condition": {}, "else_position": 2}),
            (StepKind.UPDATE_FIELD, {"add_tag": "matched"}),
        ]
    )
    ada = make_contact()
    ada.tags.add(Tag.objects.create(name="vip"))
    segment.definition = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}
    segment.save()

    enrollment = run_once(sequence, ada)

    assert "matched" in set(ada.tags.values_list("name", flat=True))
    assert enrollment.state == "completed"


def test_send_email_step_hands_the_email_to_sending_once_per_contact():
    email = make_automated_email()
    sequence = make_sequence(
        steps=[(StepKind.SEND_EMAIL, {"email_id": email.pk})], allow_reentry=True
    )
    ada = make_contact()
    consent_record(contact=ada, purpose="marketing_email", granted=True, source="test")

    enrollment = run_once(sequence, ada)
    enrollment_create(sequence=sequence, contact=ada, now=later(days=1))
    enrollments_run_due(now=later(days=1))

    send = Send.objects.get()
    assert (send.email, send.contact, send.to_address, send.queued_at) == (
        email,
        ada,
        "ada@example.com",
        NOW,
    )
    assert send.state in (SendState.QUEUED, SendState.SENDING, SendState.SENT)
    assert enrollment.state == "completed"
    assert states(sequence)[1] == ("ada@example.com", "completed", 1)


# --- failures, batches, concurrency -------------------------------------------------------------


def test_a_failing_step_ends_that_enrollment_with_the_reason_and_others_go_on():
    email = make_automated_email()
    broken = make_sequence(steps=[(StepKind.SEND_EMAIL, {"email_id": email.pk})], name="Broken")
    fine = make_sequence(steps=[TASK], name="Fine")
    ada = make_contact()
    enrollment_create(sequence=broken, contact=ada, now=NOW)
    enrollment_create(sequence=fine, contact=ada, now=NOW)
    email.delete()

    enrollments_run_due(now=NOW)

    failed = Enrollment.objects.get(sequence=broken)
    assert (failed.state, failed.exit_reason, failed.finished_at) == (
        "exited",
        "Step 1 (Send email) failed: the email of this step was deleted",
        NOW,
    )
    assert Enrollment.objects.get(sequence=fine).state == "completed"
    assert Activity.objects.count() == 1


def test_a_batch_is_bounded_and_the_rest_run_next_time():
    sequence = make_sequence(steps=[TASK])
    for n in range(3):
        enrollment_create(sequence=sequence, contact=make_contact(f"c{n}@example.com"), now=NOW)

    assert enrollments_run_due(now=NOW, limit=2) == 2
    assert Activity.objects.count() == 2
    assert enrollments_run_due(now=NOW, limit=2) == 1
    assert Activity.objects.count() == 3


def test_a_claimed_enrollment_is_not_run_again_by_a_second_tick():
    sequence = make_sequence(steps=[TASK, (StepKind.WAIT, {"days": 1}), TASK])
    enrollment_create(sequence=sequence, contact=make_contact(), now=NOW)
    enrollment = Enrollment.objects.get()

    # A concurrent tick claimed it first: its conditional UPDATE moved next_run_at on.
    Enrollment.objects.filter(pk=enrollment.pk, next_run_at=NOW).update(
        next_run_at=NOW + timedelta(minutes=10)
    )
    assert enrollments_run_due(now=NOW) == 0
    assert not Activity.objects.exists()


def test_ticking_twice_at_the_same_moment_runs_each_step_once():
    sequence = make_sequence(steps=[TASK, (StepKind.WAIT, {"days": 1}), TASK])
    enrollment_create(sequence=sequence, contact=make_contact(), now=NOW)

    sequences_tick(now=NOW)
    sequences_tick(now=NOW)

    assert Activity.objects.count() == 1
    assert states(sequence) == [("ada@example.com", "active", 2)]


def test_paused_sequence_holds_its_contacts():
    sequence = make_sequence(steps=[TASK])
    enrollment_create(sequence=sequence, contact=make_contact(), now=NOW)
    sequence.status = "paused"
    sequence.save()

    enrollments_run_due(now=NOW)

    assert states(sequence) == [("ada@example.com", "active", 0)]
    assert not Activity.objects.exists()


def test_a_field_set_by_a_sequence_updates_the_fit_score(marketer):
    # Given a fit rule on job titles
    from revline.leads.scoring_services import fit_rule_create

    fit_rule_create(actor=marketer, field="contact.title", operator="contains", value="CTO",
                    points=20)  # fmt: skip
    sequence = make_sequence(steps=[(StepKind.UPDATE_FIELD, {"field": "title", "value": "CTO"})])
    ada = make_contact()
    # When the step sets the title
    run_once(sequence, ada)
    # Then the contact's fit follows, with its explanation
    ada.refresh_from_db()
    assert (ada.title, ada.fit_score) == ("CTO", 20)
    assert ada.score_changes.get().reason == "Job title contains 'CTO' (+20)"
