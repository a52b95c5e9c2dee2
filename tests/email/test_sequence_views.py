"""Sequence builder pages: everyone reads, marketers and admins write; htmx partials; bad input
gets a form error and changes nothing."""

import pytest

from revline.email.models import Enrollment, Sequence, SequenceStep, StepKind
from revline.email.sequence_services import enrollment_create

from .sequence_factories import NOW, make_contact, make_form, make_sequence

pytestmark = pytest.mark.django_db

SETTINGS = {
    "name": "Welcome",
    "description": "",
    "trigger": "score_crossed",
    "score": "40",
    "allow_reentry": "",
    "is_marketing": "on",
    "status": "active",
}


def test_list_shows_counts_searches_and_filters(client, rep_a):
    welcome = make_sequence(name="Welcome", steps=[(StepKind.WAIT, {"days": 1})])
    make_sequence(name="Win-back", status="draft")
    enrollment_create(sequence=welcome, contact=make_contact(), now=NOW)
    client.force_login(rep_a)

    response = client.get("/email/sequences/")

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(s.name, s.active_count, s.step_count) for s, _ in rows] == [
        ("Welcome", 1, 1),
        ("Win-back", 0, 0),
    ]
    assert [label for _, label in rows] == ["Form “deleted form” submitted"] * 2
    assert "New sequence" not in response.content.decode()
    names = lambda url: [s.name for s, _ in client.get(url).context["rows"]]  # noqa: E731
    assert names("/email/sequences/?q=win") == ["Win-back"]
    assert names("/email/sequences/?status=active") == ["Welcome"]
    assert names("/email/sequences/?sort=-active") == ["Welcome", "Win-back"]


def test_empty_list_invites_to_build(client, marketer):
    client.force_login(marketer)

    body = client.get("/email/sequences/").content.decode()

    assert "No sequences yet." in body
    assert "Build your first nurture flow" in body


def test_marketer_creates_a_sequence(client, marketer):
    client.force_login(marketer)

    response = client.post("/email/sequences/new/", SETTINGS)

    sequence = Sequence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/email/sequences/{sequence.pk}/"
    assert (sequence.name, sequence.trigger_config, sequence.status) == (
        "Welcome",
        {"score": 40},
        "active",
    )


def test_missing_trigger_detail_is_a_field_error_and_saves_nothing(client, marketer):
    client.force_login(marketer)

    response = client.post(
        "/email/sequences/new/", {**SETTINGS, "trigger": "form_submitted", "score": ""}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["form"] == ["Choose the form that starts this sequence."]
    assert not Sequence.objects.exists()


def test_trigger_change_shows_that_triggers_fields(client, marketer):
    make_form("Ebook")
    client.force_login(marketer)

    body = client.get("/email/sequences/new/?trigger=form_submitted").content.decode()

    assert 'name="form"' in body and "Ebook" in body
    assert 'name="score"' not in body


def test_sales_reps_cannot_write(client, rep_a):
    sequence = make_sequence(steps=[(StepKind.WAIT, {"days": 1})])
    step = sequence.steps.get()
    enrollment = enrollment_create(sequence=sequence, contact=make_contact(), now=NOW)
    client.force_login(rep_a)
    base = f"/email/sequences/{sequence.pk}"

    assert client.get(f"{base}/").status_code == 200
    assert client.get("/email/sequences/new/").status_code == 403
    assert client.post("/email/sequences/new/", SETTINGS).status_code == 403
    assert client.post(f"{base}/edit/", SETTINGS).status_code == 403
    assert client.post(f"{base}/steps/new/", {"kind": "wait", "days": "2"}).status_code == 403
    assert client.post(f"{base}/steps/{step.pk}/delete/").status_code == 403
    assert client.post(f"{base}/steps/{step.pk}/move/", {"direction": "up"}).status_code == 403
    assert client.post(f"{base}/enrollments/{enrollment.pk}/remove/").status_code == 403
    assert client.post(f"{base}/delete/").status_code == 403
    assert Sequence.objects.get().name == "Nurture"
    assert SequenceStep.objects.count() == 1
    assert Enrollment.objects.get().state == "active"


def test_detail_shows_contacts_at_each_step_and_recent_enrollments(client, rep_a):
    sequence = make_sequence(
        steps=[(StepKind.WAIT, {"days": 1}), (StepKind.WAIT, {"days": 2})], name="Nurture"
    )
    enrollment_create(sequence=sequence, contact=make_contact(), now=NOW)
    Enrollment.objects.update(position=1)
    client.force_login(rep_a)

    response = client.get(f"/email/sequences/{sequence.pk}/")

    body = response.content.decode()
    assert [(r.number, r.waiting) for r in response.context["detail"].steps] == [(1, 0), (2, 1)]
    assert 'data-waiting="1"' in body
    assert "ada@example.com" in body
    assert "Add a step" not in body


def test_step_form_partial_for_htmx_and_add_a_wait(client, marketer):
    sequence = make_sequence()
    client.force_login(marketer)
    url = f"/email/sequences/{sequence.pk}/steps/new/"

    partial = client.get(url, {"kind": "wait"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert 'name="days"' in partial.content.decode()

    response = client.post(url, {"kind": "wait", "days": "2", "hours": "6"})
    assert response.status_code == 302
    assert list(sequence.steps.values_list("kind", "config")) == [("wait", {"days": 2, "hours": 6})]


def test_bad_step_is_a_field_error_and_saves_nothing(client, marketer):
    sequence = make_sequence()
    client.force_login(marketer)
    url = f"/email/sequences/{sequence.pk}/steps/new/"

    response = client.post(url, {"kind": "create_task", "subject": "", "due_in_days": "1"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert client.post(url, {"kind": "nope"}).status_code == 400
    assert not sequence.steps.exists()


def test_branch_step_from_a_json_condition(client, marketer):
    sequence = make_sequence(steps=[(StepKind.WAIT, {"days": 1})])
    client.force_login(marketer)
    url = f"/email/sequences/{sequence.pk}/steps/new/"
    condition = '{"match": "any", "conditions": [{"type": "tag", "tag": "vip"}]}'

    bad = client.post(url, {"kind": "branch", "condition": "{nope", "else_position": "2"})
    assert bad.status_code == 400
    assert "This is not valid JSON." in bad.content.decode()
    good = client.post(url, {"kind": "branch", "condition": condition, "else_position": "2"})

    assert good.status_code == 302
    step = sequence.steps.get(position=1)
    assert step.config == {
        "else_position": 2,
        "condition": {
            "match": "any",
            "conditions": [{"type": "tag", "tag": "vip", "negate": False}],
        },
    }


def test_edit_step(client, marketer):
    sequence = make_sequence(steps=[(StepKind.NOTIFY_OWNER, {"message": "Old"})])
    step = sequence.steps.get()
    client.force_login(marketer)
    url = f"/email/sequences/{sequence.pk}/steps/{step.pk}/edit/"

    assert "Old" in client.get(url).content.decode()
    response = client.post(url, {"message": "New"})

    assert response.status_code == 302
    step.refresh_from_db()
    assert step.config == {"message": "New"}


def test_move_and_remove_answer_htmx_with_the_page_to_swap_in(client, marketer):
    sequence = make_sequence(steps=[(StepKind.WAIT, {"days": 1}), (StepKind.WAIT, {"days": 2})])
    first, second = sequence.steps.order_by("position")
    client.force_login(marketer)
    base = f"/email/sequences/{sequence.pk}/steps"

    moved = client.post(f"{base}/{second.pk}/move/", {"direction": "up"}, HTTP_HX_REQUEST="true")
    assert moved.status_code == 200
    assert '<div id="sequence-body">' in moved.content.decode()
    assert list(sequence.steps.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    assert client.post(f"{base}/{second.pk}/move/", {"direction": "sideways"}).status_code == 400

    removed = client.post(f"{base}/{second.pk}/delete/")
    assert removed.status_code == 302
    assert list(sequence.steps.values_list("pk", "position")) == [(first.pk, 0)]


def test_state_changes_need_post(client, marketer):
    sequence = make_sequence(steps=[(StepKind.WAIT, {"days": 1})])
    step = sequence.steps.get()
    client.force_login(marketer)
    base = f"/email/sequences/{sequence.pk}"

    assert client.get(f"{base}/delete/").status_code == 405
    assert client.get(f"{base}/steps/{step.pk}/delete/").status_code == 405
    assert client.get(f"{base}/steps/{step.pk}/move/").status_code == 405
    assert Sequence.objects.filter(pk=sequence.pk).exists()


def test_remove_an_enrollment_by_hand(client, marketer):
    sequence = make_sequence(steps=[(StepKind.WAIT, {"days": 1})])
    enrollment = enrollment_create(sequence=sequence, contact=make_contact(), now=NOW)
    client.force_login(marketer)

    response = client.post(f"/email/sequences/{sequence.pk}/enrollments/{enrollment.pk}/remove/")

    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.exit_reason) == ("exited", "Removed by Marketer")


def test_edit_settings_and_delete(client, admin_user):
    sequence = make_sequence(name="Old name")
    client.force_login(admin_user)

    page = client.get(f"/email/sequences/{sequence.pk}/edit/")
    assert page.context["form"].initial["name"] == "Old name"
    response = client.post(f"/email/sequences/{sequence.pk}/edit/", {**SETTINGS, "name": "New"})
    assert response.status_code == 302
    sequence.refresh_from_db()
    assert (sequence.name, sequence.trigger, sequence.trigger_config) == (
        "New",
        "score_crossed",
        {"score": 40},
    )

    assert client.post(f"/email/sequences/{sequence.pk}/delete/").status_code == 302
    assert not Sequence.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/email/sequences/")

    assert response.status_code == 302
    assert "/login" in response["Location"]
