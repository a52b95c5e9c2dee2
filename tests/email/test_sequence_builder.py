"""Building sequences: settings and trigger checks, steps added, edited, moved and removed
(contacts waiting at a step and branch targets move with it), counts per step, permissions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.email.models import Email, EmailKind, EmailTemplate, Enrollment, Sequence, StepKind
from revline.email.sequence_selectors import sequence_detail, sequence_list_queryset
from revline.email.sequence_services import (
    enrollment_create,
    enrollment_remove,
    enrollments_run_due,
    sequence_create,
    sequence_step_add,
    sequence_step_move,
    sequence_step_remove,
    sequence_step_update,
    sequence_update,
)
from revline.sales.services import pipeline_default

from .sequence_factories import NOW, make_automated_email, make_contact, make_form, make_sequence

pytestmark = pytest.mark.django_db

WAIT = (StepKind.WAIT, {"days": 1})


def layout(sequence) -> list[tuple[int, str, dict]]:
    return [(s.position, s.kind, s.config) for s in sequence.steps.order_by("position")]


def test_create_checks_the_trigger_and_keeps_only_its_keys(marketer):
    form = make_form()

    sequence = sequence_create(
        actor=marketer,
        name="  Welcome  ",
        trigger="form_submitted",
        trigger_config={"form_id": str(form.pk), "segment_id": None, "score": 5},
    )

    assert (sequence.name, sequence.trigger_config, sequence.status, sequence.is_marketing) == (
        "Welcome",
        {"form_id": form.pk},
        "draft",
        True,
    )
    assert sequence.created_by == marketer


@pytest.mark.parametrize(
    ("trigger", "config", "field"),
    [
        ("form_submitted", {"form_id": 999}, "form"),
        ("joined_segment", {}, "segment"),
        ("score_crossed", {"score": -1}, "score"),
        ("score_crossed", {"score": "lots"}, "score"),
        ("deal_stage_changed", {"stage_id": 999}, "stage"),
        ("date_reached", {"field": "updated_at", "days_after": 3}, "date_field"),
        ("date_reached", {"field": "created_at", "days_after": None}, "days_after"),
        ("nonsense", {}, "trigger"),
    ],
)
def test_bad_trigger_config_is_refused_and_nothing_saved(marketer, trigger, config, field):
    with pytest.raises(ValidationError) as caught:
        sequence_create(actor=marketer, name="X", trigger=trigger, trigger_config=config)

    assert field in caught.value.error_dict
    assert not Sequence.objects.exists()


def test_deal_stage_trigger_stores_the_stage_pipeline(marketer):
    stage = pipeline_default().stages.order_by("position").first()

    sequence = sequence_create(
        actor=marketer,
        name="Deal",
        trigger="deal_stage_changed",
        trigger_config={"stage_id": stage.pk},
    )

    assert sequence.trigger_config == {"pipeline_id": stage.pipeline_id, "stage_id": stage.pk}


def test_only_marketers_and_admins_build(rep_a, manager_a, admin_user):
    sequence = make_sequence()
    for user in (rep_a, manager_a):
        with pytest.raises(PermissionDenied):
            sequence_create(
                actor=user, name="X", trigger="score_crossed", trigger_config={"score": 1}
            )
        with pytest.raises(PermissionDenied):
            sequence_step_add(actor=user, sequence=sequence, kind="wait", config={"days": 1})
        with pytest.raises(PermissionDenied):
            sequence_update(actor=user, sequence=sequence, name="Y")
    sequence_step_add(actor=admin_user, sequence=sequence, kind="wait", config={"days": 1})
    assert sequence.steps.count() == 1


@pytest.mark.parametrize(
    ("kind", "config", "field"),
    [
        ("wait", {"days": 0, "hours": 0}, "days"),
        ("wait", {"days": "x"}, "days"),
        ("send_email", {"email_id": 999}, "email"),
        ("update_field", {"field": "email", "value": "x@y.z"}, "field"),
        ("update_field", {"field": "country", "value": "FRA"}, "value"),
        ("change_lifecycle", {"stage": "disqualified"}, "stage"),
        ("notify_owner", {"message": "  "}, "message"),
        ("create_task", {"subject": ""}, "subject"),
        ("branch", {"else_position": 0, "condition": {"match": "all"}}, "else_position"),
        (
            "branch",
            {"else_position": 3, "condition": {"match": "all", "conditions": []}},
            "segment",
        ),
        ("teleport", {}, "kind"),
    ],
)
def test_bad_step_config_is_refused_and_no_step_saved(marketer, kind, config, field):
    sequence = make_sequence()

    with pytest.raises(ValidationError) as caught:
        sequence_step_add(actor=marketer, sequence=sequence, kind=kind, config=config)

    if hasattr(caught.value, "error_dict"):
        assert field in caught.value.error_dict
    assert not sequence.steps.exists()


def test_send_email_step_refuses_campaign_emails_and_may_create_one_from_a_template(marketer):
    sequence = make_sequence()
    campaign_email = Email.objects.create(name="Blast", kind=EmailKind.CAMPAIGN)
    template = EmailTemplate.objects.create(name="Welcome", subject="Hi {{ contact.first_name }}")

    with pytest.raises(ValidationError):
        sequence_step_add(
            actor=marketer,
            sequence=sequence,
            kind="send_email",
            config={"email_id": campaign_email.pk},
        )
    step = sequence_step_add(
        actor=marketer,
        sequence=sequence,
        kind="send_email",
        config={},
        new_email_template_id=template.pk,
        new_email_name="Welcome (sequence)",
    )

    email = Email.objects.get(pk=step.config["email_id"])
    assert (email.name, email.kind, email.template, email.subject) == (
        "Welcome (sequence)",
        "automated",
        template,
        "Hi {{ contact.first_name }}",
    )


def test_add_in_the_middle_moves_later_steps_and_their_waiting_contacts(marketer):
    sequence = make_sequence(steps=[WAIT, (StepKind.WAIT, {"days": 2})])
    ada = make_contact()
    enrollment_create(sequence=sequence, contact=ada, now=NOW)
    Enrollment.objects.update(position=1)

    sequence_step_add(
        actor=marketer,
        sequence=sequence,
        kind="create_task",
        config={"subject": "Call"},
        position=1,
    )

    assert [(p, k) for p, k, _ in layout(sequence)] == [
        (0, "wait"),
        (1, "create_task"),
        (2, "wait"),
    ]
    assert Enrollment.objects.get().position == 2


def test_moving_steps_keeps_contacts_with_their_step_and_branch_targets_on_theirs(marketer):
    condition = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}
    sequence = make_sequence(
        steps=[
            (StepKind.BRANCH, {"condition": condition, "else_position": 3}),
            WAIT,
            (StepKind.CREATE_TASK, {"subject": "A", "due_in_days": 0}),
            (StepKind.CREATE_TASK, {"subject": "B", "due_in_days": 0}),
        ]
    )
    ada, bob = make_contact(), make_contact("bob@example.com")
    enrollment_create(sequence=sequence, contact=ada, now=NOW)
    enrollment_create(sequence=sequence, contact=bob, now=NOW)
    Enrollment.objects.filter(contact=ada).update(position=2)
    Enrollment.objects.filter(contact=bob).update(position=3)
    step_a = sequence.steps.get(position=2)

    sequence_step_move(actor=marketer, step=step_a, offset=1)

    assert [(p, c.get("subject"), c.get("else_position")) for p, _, c in layout(sequence)] == [
        (0, None, 2),  # the else target (task B) moved from 3 to 2
        (1, None, None),
        (2, "B", None),
        (3, "A", None),
    ]
    assert Enrollment.objects.get(contact=ada).position == 3
    assert Enrollment.objects.get(contact=bob).position == 2


def test_moving_the_first_step_up_changes_nothing(marketer):
    sequence = make_sequence(steps=[WAIT, (StepKind.WAIT, {"days": 2})])
    before = layout(sequence)

    sequence_step_move(actor=marketer, step=sequence.steps.get(position=0), offset=-1)

    assert layout(sequence) == before


def test_removing_a_step_sends_its_waiting_contacts_to_the_next_one(marketer):
    condition = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}
    sequence = make_sequence(
        steps=[
            (StepKind.BRANCH, {"condition": condition, "else_position": 2}),
            WAIT,
            (StepKind.CREATE_TASK, {"subject": "A", "due_in_days": 0}),
        ]
    )
    ada = make_contact()
    enrollment_create(sequence=sequence, contact=ada, now=NOW)
    Enrollment.objects.update(position=1)

    sequence_step_remove(actor=marketer, step=sequence.steps.get(position=1))

    assert [(p, k, c.get("else_position")) for p, k, c in layout(sequence)] == [
        (0, "branch", 1),
        (1, "create_task", None),
    ]
    assert Enrollment.objects.get().position == 1


def test_update_step_rechecks_the_config(marketer):
    email = make_automated_email()
    sequence = make_sequence(steps=[WAIT])
    step = sequence.steps.get()

    sequence_step_update(actor=marketer, step=step, config={"days": "3", "hours": 4})
    step.refresh_from_db()
    assert step.config == {"days": 3, "hours": 4}
    with pytest.raises(ValidationError):
        sequence_step_update(actor=marketer, step=step, config={"days": 0})
    step.refresh_from_db()
    assert step.config == {"days": 3, "hours": 4}
    assert email.kind == "automated"


def test_counts_per_step_and_per_state():
    sequence = make_sequence(
        steps=[WAIT, (StepKind.WAIT, {"days": 5}), (StepKind.CREATE_TASK, {"subject": "x"})]
    )
    contacts = [make_contact(f"c{n}@example.com") for n in range(5)]
    for contact in contacts:
        enrollment_create(sequence=sequence, contact=contact, now=NOW)
    enrollments_run_due(now=NOW)  # everybody waits at step 2 now (position 1)
    Enrollment.objects.filter(contact=contacts[0]).update(position=2)
    Enrollment.objects.filter(contact=contacts[1]).update(state="completed", position=3)
    Enrollment.objects.filter(contact=contacts[2]).update(state="exited")

    detail = sequence_detail(sequence=sequence)

    assert [(row.number, row.waiting) for row in detail.steps] == [(1, 0), (2, 2), (3, 1)]
    assert detail.counts == {"active": 3, "completed": 1, "exited": 1}
    assert [row.label for row in detail.steps] == [
        "Wait 1 day",
        "Wait 5 days",
        "Task for the owner: “x”, due in 0 day(s)",
    ]
    listed = sequence_list_queryset().get(pk=sequence.pk)
    assert (listed.step_count, listed.active_count, listed.completed_count) == (3, 3, 1)
    assert listed.exited_count == 1


def test_remove_by_hand_ends_the_enrollment_once(marketer, rep_a):
    sequence = make_sequence(steps=[WAIT])
    enrollment = enrollment_create(sequence=sequence, contact=make_contact(), now=NOW)

    with pytest.raises(PermissionDenied):
        enrollment_remove(actor=rep_a, enrollment=enrollment, now=NOW)
    assert enrollment_remove(actor=marketer, enrollment=enrollment, now=NOW) is True
    assert enrollment_remove(actor=marketer, enrollment=enrollment, now=NOW) is False

    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.exit_reason, enrollment.finished_at) == (
        "exited",
        "Removed by Marketer",
        NOW,
    )
