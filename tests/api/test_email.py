"""Email templates, campaign emails, sends, topics, sequences and contact imports over the API."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from revline.audit.models import AuditEntry
from revline.core.workspace import workspace_get
from revline.email.models import (
    Email,
    EmailKind,
    EmailStatus,
    EmailTemplate,
    Enrollment,
    EnrollmentState,
    Send,
    SendState,
    Sequence,
    SequenceStatus,
    SequenceStep,
    SequenceTrigger,
    Suppression,
    SuppressionReason,
    Topic,
)
from revline.people import import_services
from revline.people.models import Contact, ContactImport, ImportStatus
from revline.people.services import consent_record
from revline.segments.models import Segment

from .conftest import error_fields

BLOCKS = [{"type": "text", "text": "Hello {{ contact.first_name }}"}]
EVERYONE = {"match": "all", "conditions": []}


@pytest.fixture
def workspace(db) -> None:
    workspace = workspace_get()
    workspace.email_from_name = "Acme"
    workspace.email_from_address = "news@acme.example"
    workspace.postal_address = "Acme GmbH, Main Street 1, Berlin"
    workspace.save()


@pytest.fixture
def template(db) -> EmailTemplate:
    return EmailTemplate.objects.create(
        name="News", subject="Hi {{ contact.first_name }}", blocks=BLOCKS
    )


@pytest.fixture
def segment(db) -> Segment:
    return Segment.objects.create(name="Everyone", definition=EVERYONE)


@pytest.fixture
def draft(workspace, template, segment, marketer) -> Email:
    return Email.objects.create(
        name="Spring news",
        template=template,
        segment=segment,
        subject=template.subject,
        blocks=BLOCKS,
        rate_per_minute=0,
        created_by=marketer,
    )


@pytest.fixture
def ada(db) -> Contact:
    contact = Contact.objects.create(first_name="Ada", email="ada@example.com")
    consent_record(contact=contact, purpose="marketing_email", granted=True, source="test")
    return contact


def audit_actions(obj: Any) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- Templates ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_marketer_creates_a_template_with_sanitised_html(api_as, marketer):
    # When
    response = api_as(marketer).post(
        "/email/templates",
        {
            "name": " Launch ",
            "subject": "Big news",
            "body_format": "html",
            "html": '<p onclick="x()">Hi</p><script>alert(1)</script>',
        },
    )
    # Then
    assert response.status_code == 201
    body = response.json()
    template = EmailTemplate.objects.get()
    assert (body["id"], body["name"], body["body_format"]) == (template.pk, "Launch", "html")
    assert "script" not in body["html"] and "onclick" not in body["html"]
    assert body["html"] == template.html
    assert body["created_by"]["id"] == marketer.pk
    assert audit_actions(template) == ["create"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "subject": "S", "blocks": BLOCKS}, "name"),
        ({"name": "N", "subject": "", "blocks": BLOCKS}, "subject"),
        ({"name": "N", "subject": "S", "blocks": []}, "blocks"),
        ({"name": "N", "subject": "S", "body_format": "pdf"}, "body_format"),
        ({"name": "N", "subject": "{% bad %}", "blocks": BLOCKS}, "subject"),
        ({"name": "N", "subject": "S", "blocks": BLOCKS, "id": 4}, "id"),
    ],
)
def test_bad_template_is_refused_naming_the_field(api_as, marketer, body, field):
    response = api_as(marketer).post("/email/templates", body)

    assert response.status_code == 422
    assert field in error_fields(response)
    assert not EmailTemplate.objects.exists()


@pytest.mark.django_db
def test_templates_list_filter_sort_and_read(api_as, marketer, template):
    EmailTemplate.objects.create(name="Alpha", subject="Other", body_format="html", html="<p>x</p>")
    api = api_as(marketer)

    by_name = api.get("/email/templates").json()
    html_only = api.get("/email/templates", {"body_format": "html"}).json()
    searched = api.get("/email/templates", {"q": "other", "sort": "-name"}).json()
    one = api.get(f"/email/templates/{template.pk}").json()

    assert [t["name"] for t in by_name["items"]] == ["Alpha", "News"]
    assert by_name["total"] == 2
    assert [t["name"] for t in html_only["items"]] == ["Alpha"]
    assert [t["name"] for t in searched["items"]] == ["Alpha"]
    assert (one["id"], one["subject"], one["blocks"]) == (
        template.pk,
        "Hi {{ contact.first_name }}",
        BLOCKS,
    )
    assert api.get("/email/templates", {"sort": "subject"}).status_code == 422


@pytest.mark.django_db
def test_template_patch_changes_only_what_is_sent(api_as, marketer, template):
    response = api_as(marketer).patch(f"/email/templates/{template.pk}", {"subject": "New"})

    assert response.status_code == 200
    template.refresh_from_db()
    assert (template.name, template.subject, template.blocks) == ("News", "New", BLOCKS)
    assert audit_actions(template) == ["update"]
    bad = api_as(marketer).patch(f"/email/templates/{template.pk}", {"name": None})
    assert bad.status_code == 422
    template.refresh_from_db()
    assert template.name == "News"


@pytest.mark.django_db
def test_template_duplicate_test_send_and_delete(api_as, marketer, template, workspace):
    api = api_as(marketer)

    copy = api.post(f"/email/templates/{template.pk}/duplicate")
    tested = api.post(f"/email/templates/{template.pk}/test", {"to": "me@example.com"})
    bad_address = api.post(f"/email/templates/{template.pk}/test", {"to": "nope"})
    deleted = api.delete(f"/email/templates/{template.pk}")

    assert copy.status_code == 201
    assert copy.json()["name"] == "Copy of News"
    assert tested.status_code == 200
    assert tested.json()["to"] == "me@example.com"
    assert [m.to for m in mail.outbox] == [["me@example.com"]]
    assert mail.outbox[0].subject.startswith("[Test] Hi ")
    assert bad_address.status_code == 422
    assert error_fields(bad_address) == ["to"]
    assert deleted.status_code == 204
    assert list(EmailTemplate.objects.values_list("name", flat=True)) == ["Copy of News"]
    assert "delete" in audit_actions(template)


@pytest.mark.django_db
def test_reps_cannot_see_or_change_templates(api_as, rep_a, template):
    api = api_as(rep_a)

    responses = [
        api.get("/email/templates"),
        api.get(f"/email/templates/{template.pk}"),
        api.post("/email/templates", {"name": "N", "subject": "S", "blocks": BLOCKS}),
        api.patch(f"/email/templates/{template.pk}", {"name": "Mine"}),
        api.post(f"/email/templates/{template.pk}/duplicate"),
        api.post(f"/email/templates/{template.pk}/test", {"to": "me@example.com"}),
        api.delete(f"/email/templates/{template.pk}"),
    ]

    assert [r.status_code for r in responses] == [403] * 7
    assert list(EmailTemplate.objects.values_list("name", flat=True)) == ["News"]
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/email/templates/999", None),
        ("patch", "/email/templates/999", {"name": "X"}),
        ("delete", "/email/templates/999", None),
        ("post", "/email/templates/999/duplicate", {}),
        ("post", "/email/templates/999/test", {"to": "me@example.com"}),
    ],
)
def test_unknown_template_is_404(api_as, marketer, method, path, body):
    api = api_as(marketer)
    response = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)

    assert response.status_code == 404


# --- Campaign emails ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_marketer_creates_a_draft_from_a_template(api_as, marketer, workspace, template, segment):
    response = api_as(marketer).post(
        "/emails", {"name": "Spring", "template_id": template.pk, "segment_id": segment.pk}
    )

    assert response.status_code == 201
    body = response.json()
    email = Email.objects.get()
    assert (body["id"], body["status"], body["kind"]) == (email.pk, "draft", "campaign")
    assert body["template"] == {"id": template.pk, "name": "News"}
    assert body["segment"] == {"id": segment.pk, "name": "Everyone"}
    assert (body["subject"], body["from_email"]) == (
        "Hi {{ contact.first_name }}",
        "news@acme.example",
    )
    assert audit_actions(email) == ["create"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "template_id": 0}, "name"),
        ({"name": "X"}, "template"),
        ({"name": "X", "segment_id": 999}, "segment_id"),
        ({"name": "X", "topic_id": 999}, "topic_id"),
        ({"name": "X", "rate_per_minute": 10**12}, "rate_per_minute"),
        ({"name": "X", "from_email": "nope"}, "from_email"),
        ({"name": "X", "status": "sent"}, "status"),
    ],
)
def test_bad_email_is_refused(api_as, marketer, template, body, field):
    response = api_as(marketer).post("/emails", body)

    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Email.objects.exists()


@pytest.mark.django_db
def test_everyone_reads_emails_but_reps_change_nothing(api_as, rep_a, draft):
    api = api_as(rep_a)

    listed = api.get("/emails")
    read = api.get(f"/emails/{draft.pk}")
    refused = [
        api.post("/emails", {"name": "Mine", "template_id": draft.template_id}),
        api.patch(f"/emails/{draft.pk}", {"name": "Mine"}),
        api.delete(f"/emails/{draft.pk}"),
        api.post(f"/emails/{draft.pk}/send"),
        api.post(f"/emails/{draft.pk}/schedule", {"scheduled_at": "2099-01-01T09:00:00Z"}),
        api.post(f"/emails/{draft.pk}/cancel"),
        api.post(f"/emails/{draft.pk}/test", {"to": "me@example.com"}),
    ]

    assert [e["name"] for e in listed.json()["items"]] == ["Spring news"]
    assert read.json()["status"] == "draft"
    assert [r.status_code for r in refused] == [403] * 7
    draft.refresh_from_db()
    assert (draft.name, draft.status) == ("Spring news", EmailStatus.DRAFT)
    assert Email.objects.count() == 1
    assert not Send.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_email_list_filters_and_sorts(api_as, marketer, draft, template):
    Email.objects.create(name="Autumn", template=template, status=EmailStatus.SENT)
    Email.objects.create(name="Automated", kind=EmailKind.AUTOMATED, subject="x")
    api = api_as(marketer)

    by_name = api.get("/emails", {"sort": "name"}).json()
    sent = api.get("/emails", {"status": "sent"}).json()

    assert [e["name"] for e in by_name["items"]] == ["Autumn", "Spring news"]
    assert [e["name"] for e in sent["items"]] == ["Autumn"]
    assert api.get("/emails", {"status": "lost"}).status_code == 422


@pytest.mark.django_db
def test_patch_a_draft_and_refuse_a_scheduled_one(api_as, marketer, draft):
    api = api_as(marketer)

    renamed = api.patch(f"/emails/{draft.pk}", {"name": "Renamed", "topic_id": None})
    bad = api.patch(f"/emails/{draft.pk}", {"segment_id": 999})
    Email.objects.filter(pk=draft.pk).update(status=EmailStatus.SCHEDULED)
    scheduled = api.patch(f"/emails/{draft.pk}", {"name": "Again"})

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed"
    assert bad.status_code == 422
    assert error_fields(bad) == ["segment_id"]
    assert scheduled.status_code == 409
    draft.refresh_from_db()
    assert (draft.name, draft.segment_id is not None) == ("Renamed", True)


@pytest.mark.django_db
def test_schedule_then_cancel(api_as, marketer, draft):
    api = api_as(marketer)
    at = (timezone.now() + timedelta(days=2)).replace(microsecond=0)

    past = api.post(f"/emails/{draft.pk}/schedule", {"scheduled_at": "2001-01-01T09:00:00Z"})
    scheduled = api.post(f"/emails/{draft.pk}/schedule", {"scheduled_at": at.isoformat()})
    again = api.post(f"/emails/{draft.pk}/schedule", {"scheduled_at": at.isoformat()})
    cancelled = api.post(f"/emails/{draft.pk}/cancel")
    twice = api.post(f"/emails/{draft.pk}/cancel")

    assert past.status_code == 422
    assert error_fields(past) == ["scheduled_at"]
    assert scheduled.status_code == 200
    assert scheduled.json()["status"] == "scheduled"
    assert again.status_code == 409
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["scheduled_at"]) == ("draft", None)
    assert twice.status_code == 409
    assert audit_actions(draft) == ["update", "update"]


@pytest.mark.django_db
def test_send_now_respects_suppression_and_consent(api_as, marketer, draft, ada):
    Contact.objects.create(first_name="Nope", email="nope@example.com")  # no consent
    blocked = Contact.objects.create(first_name="Gone", email="gone@example.com")
    consent_record(contact=blocked, purpose="marketing_email", granted=True, source="test")
    Suppression.objects.create(address="gone@example.com", reason=SuppressionReason.HARD_BOUNCE)

    response = api_as(marketer).post(f"/emails/{draft.pk}/send")

    assert response.status_code == 200
    assert response.json()["status"] in ("sending", "sent")
    states = dict(Send.objects.values_list("to_address", "state"))
    assert states["nope@example.com"] == SendState.SKIPPED
    assert states["gone@example.com"] == SendState.SKIPPED
    assert states["ada@example.com"] != SendState.SKIPPED
    assert api_as(marketer).post(f"/emails/{draft.pk}/send").status_code == 409
    assert api_as(marketer).delete(f"/emails/{draft.pk}").status_code == 409
    assert Email.objects.filter(pk=draft.pk).exists()


@pytest.mark.django_db
def test_send_now_without_a_segment_is_refused(api_as, marketer, draft):
    Email.objects.filter(pk=draft.pk).update(segment=None)

    response = api_as(marketer).post(f"/emails/{draft.pk}/send")

    assert response.status_code == 422
    assert error_fields(response) == ["segment"]
    assert not Send.objects.exists()


@pytest.mark.django_db
def test_test_send_stats_and_sends(api_as, marketer, rep_a, draft, ada):
    Send.objects.create(
        email=draft, contact=ada, to_address=ada.email, state=SendState.SENT, message_id="<1@x>",
        token="t1", queued_at=timezone.now(), sent_at=timezone.now(),
        first_opened_at=timezone.now(), open_count=3,
    )  # fmt: skip
    api = api_as(marketer)

    tested = api.post(f"/emails/{draft.pk}/test", {"to": "me@example.com", "contact_id": ada.pk})
    unknown_contact = api.post(
        f"/emails/{draft.pk}/test", {"to": "me@example.com", "contact_id": 999}
    )
    stats = api_as(rep_a).get(f"/emails/{draft.pk}/stats").json()
    sends = api.get(f"/emails/{draft.pk}/sends", {"state": "sent"}).json()
    none = api.get(f"/emails/{draft.pk}/sends", {"state": "bounced"}).json()

    assert tested.status_code == 200
    assert tested.json()["subject"] == "[Test] Hi {{ contact.first_name }}"
    assert mail.outbox[0].subject == "[Test] Hi Ada"
    assert unknown_contact.status_code == 422
    assert error_fields(unknown_contact) == ["contact_id"]
    assert len(mail.outbox) == 1
    assert {k: stats[k] for k in ("recipients", "sent", "delivered", "opened", "opens_total",
                                  "clicked", "bounced", "unsubscribed", "open_rate")} == {
        "recipients": 1, "sent": 1, "delivered": 1, "opened": 1, "opens_total": 3,
        "clicked": 0, "bounced": 0, "unsubscribed": 0, "open_rate": 100.0,
    }  # fmt: skip
    assert sends["total"] == 1
    assert sends["items"][0]["contact"] == {"id": ada.pk, "full_name": "Ada", "email": ada.email}
    assert sends["items"][0]["open_count"] == 3
    assert none["total"] == 0


@pytest.mark.django_db
def test_delete_a_draft(api_as, marketer, draft):
    response = api_as(marketer).delete(f"/emails/{draft.pk}")

    assert response.status_code == 204
    assert not Email.objects.exists()
    assert AuditEntry.objects.filter(object_type="email.email", action="delete").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/emails/999", None),
        ("patch", "/emails/999", {"name": "X"}),
        ("delete", "/emails/999", None),
        ("post", "/emails/999/send", {}),
        ("post", "/emails/999/schedule", {"scheduled_at": "2099-01-01T09:00:00Z"}),
        ("post", "/emails/999/cancel", {}),
        ("post", "/emails/999/test", {"to": "me@example.com"}),
        ("get", "/emails/999/stats", None),
        ("get", "/emails/999/sends", None),
    ],
)
def test_unknown_email_is_404(api_as, marketer, method, path, body):
    api = api_as(marketer)
    response = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)

    assert response.status_code == 404


@pytest.mark.django_db
def test_automated_emails_are_not_campaign_emails(api_as, marketer):
    automated = Email.objects.create(name="Step", kind=EmailKind.AUTOMATED, subject="x")

    assert api_as(marketer).get(f"/emails/{automated.pk}").status_code == 404
    assert api_as(marketer).delete(f"/emails/{automated.pk}").status_code == 404
    assert Email.objects.filter(pk=automated.pk).exists()


# --- Topics and suppressions -----------------------------------------------------------------------


@pytest.mark.django_db
def test_topics_crud(api_as, marketer):
    api = api_as(marketer)

    created = api.post("/email/topics", {"name": " Product  news ", "description": "Monthly"})
    topic_id = created.json()["id"]
    duplicate = api.post("/email/topics", {"name": "product NEWS"})
    renamed = api.patch(f"/email/topics/{topic_id}", {"name": "Releases"})
    read = api.get(f"/email/topics/{topic_id}")
    deleted = api.delete(f"/email/topics/{topic_id}")

    assert created.status_code == 201
    assert created.json() == {
        "id": topic_id, "name": "Product news", "description": "Monthly", "opt_out_count": 0
    }  # fmt: skip
    assert duplicate.status_code == 422
    assert error_fields(duplicate) == ["name"]
    assert renamed.json()["name"] == "Releases"
    assert read.json()["description"] == "Monthly"
    assert deleted.status_code == 204
    assert not Topic.objects.exists()
    assert AuditEntry.objects.filter(object_type="email.topic").count() == 3


@pytest.mark.django_db
def test_topics_refused_to_reps_and_unknown_is_404(api_as, rep_a, marketer):
    topic = Topic.objects.create(name="Events")
    rep = api_as(rep_a)

    refused = [
        rep.get("/email/topics"),
        rep.post("/email/topics", {"name": "X"}),
        rep.get(f"/email/topics/{topic.pk}"),
        rep.patch(f"/email/topics/{topic.pk}", {"name": "X"}),
        rep.delete(f"/email/topics/{topic.pk}"),
    ]

    assert [r.status_code for r in refused] == [403] * 5
    assert list(Topic.objects.values_list("name", flat=True)) == ["Events"]
    api = api_as(marketer)
    assert api.get("/email/topics/999").status_code == 404
    assert api.patch("/email/topics/999", {"name": "X"}).status_code == 404
    assert api.delete("/email/topics/999").status_code == 404
    assert api.patch(f"/email/topics/{topic.pk}", {"name": ""}).status_code == 422


@pytest.mark.django_db
def test_suppression_read_and_audit(api_as, marketer, rep_a):
    created = api_as(marketer).post("/email/suppressions", {"address": "x@example.com"})
    row = Suppression.objects.get()

    assert created.status_code == 201
    assert (
        api_as(marketer).get(f"/email/suppressions/{row.pk}").json()["address"] == "x@example.com"
    )
    assert api_as(rep_a).get(f"/email/suppressions/{row.pk}").status_code == 403
    assert api_as(marketer).get("/email/suppressions/999").status_code == 404
    assert audit_actions(row) == ["create"]


# --- Sequences -------------------------------------------------------------------------------------


@pytest.fixture
def sequence(db) -> Sequence:
    return Sequence.objects.create(
        name="Nurture", trigger=SequenceTrigger.SCORE_CROSSED, trigger_config={"score": 50}
    )


@pytest.mark.django_db
def test_sequence_create_update_activate_pause_delete(api_as, marketer):
    api = api_as(marketer)

    created = api.post(
        "/sequences",
        {"name": "Welcome", "trigger": "score_crossed", "trigger_config": {"score": 40, "x": 1}},
    )
    pk = created.json()["id"]
    patched = api.patch(f"/sequences/{pk}", {"description": "First week"})
    active = api.post(f"/sequences/{pk}/activate")
    paused = api.post(f"/sequences/{pk}/pause")
    listed = api.get("/sequences", {"status": "paused"}).json()
    deleted = api.delete(f"/sequences/{pk}")

    assert created.status_code == 201
    assert (created.json()["status"], created.json()["trigger_config"]) == ("draft", {"score": 40})
    assert patched.json()["description"] == "First week"
    assert active.json()["status"] == "active"
    assert paused.json()["status"] == "paused"
    assert [s["name"] for s in listed["items"]] == ["Welcome"]
    assert deleted.status_code == 204
    assert not Sequence.objects.exists()
    assert AuditEntry.objects.filter(object_type="email.sequence").count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "trigger": "score_crossed", "trigger_config": {"score": 1}}, "name"),
        ({"name": "N", "trigger": "moon_phase"}, "trigger"),
        ({"name": "N", "trigger": "score_crossed", "trigger_config": {"score": -1}}, "score"),
        ({"name": "N", "trigger": "form_submitted", "trigger_config": {"form_id": 999}}, "form"),
        ({"name": "N", "trigger": "score_crossed", "status": "active"}, "status"),
    ],
)
def test_bad_sequence_is_refused(api_as, marketer, body, field):
    response = api_as(marketer).post("/sequences", body)

    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Sequence.objects.exists()


@pytest.mark.django_db
def test_steps_add_update_move_delete(api_as, marketer, sequence):
    api = api_as(marketer)

    wait = api.post(f"/sequences/{sequence.pk}/steps", {"kind": "wait", "config": {"days": 2}})
    task = api.post(
        f"/sequences/{sequence.pk}/steps",
        {"kind": "create_task", "config": {"subject": "Call"}, "position": 0},
    )
    bad = api.post(f"/sequences/{sequence.pk}/steps", {"kind": "wait", "config": {"days": 0}})
    updated = api.patch(
        f"/sequences/{sequence.pk}/steps/{wait.json()['id']}", {"config": {"hours": 5}}
    )
    moved = api.post(
        f"/sequences/{sequence.pk}/steps/{wait.json()['id']}/move", {"direction": "up"}
    )
    read = api.get(f"/sequences/{sequence.pk}/steps/{task.json()['id']}")
    removed = api.delete(f"/sequences/{sequence.pk}/steps/{task.json()['id']}")
    steps = api.get(f"/sequences/{sequence.pk}/steps").json()

    assert (wait.status_code, task.status_code) == (201, 201)
    assert task.json()["position"] == 0
    assert bad.status_code == 422
    assert error_fields(bad) == ["days"]
    assert updated.json()["config"] == {"days": 0, "hours": 5}
    assert [(s["kind"], s["position"]) for s in moved.json()] == [("wait", 0), ("create_task", 1)]
    assert read.json()["position"] == 1
    assert removed.status_code == 204
    assert [(s["kind"], s["position"], s["config"]) for s in steps] == [
        ("wait", 0, {"days": 0, "hours": 5})
    ]
    assert api.get(f"/sequences/{sequence.pk}").json()["step_count"] == 1


@pytest.mark.django_db
def test_enrol_and_unenrol_by_hand(api_as, marketer, sequence, ada):
    api = api_as(marketer)

    inactive = api.post(f"/sequences/{sequence.pk}/enrollments", {"contact_id": ada.pk})
    Sequence.objects.filter(pk=sequence.pk).update(status=SequenceStatus.ACTIVE)
    enrolled = api.post(f"/sequences/{sequence.pk}/enrollments", {"contact_id": ada.pk})
    twice = api.post(f"/sequences/{sequence.pk}/enrollments", {"contact_id": ada.pk})
    unknown = api.post(f"/sequences/{sequence.pk}/enrollments", {"contact_id": 999})
    listed = api.get(f"/sequences/{sequence.pk}/enrollments", {"state": "active"}).json()
    path = f"/sequences/{sequence.pk}/enrollments/{enrolled.json()['id']}/remove"
    removed = api.post(path)
    again = api.post(path)

    assert inactive.status_code == 409
    assert enrolled.status_code == 201
    assert enrolled.json()["contact"] == {"id": ada.pk, "full_name": "Ada", "email": ada.email}
    assert twice.status_code == 422
    assert error_fields(twice) == ["contact_id"]
    assert unknown.status_code == 422
    assert listed["total"] == 1
    assert removed.status_code == 200
    assert removed.json()["state"] == "exited"
    assert removed.json()["exit_reason"] == "Removed by Marketer"
    assert again.status_code == 409
    assert Enrollment.objects.get().state == EnrollmentState.EXITED


@pytest.mark.django_db
def test_unsubscribed_contact_cannot_be_enrolled(api_as, marketer, sequence, ada):
    Sequence.objects.filter(pk=sequence.pk).update(status=SequenceStatus.ACTIVE)
    Suppression.objects.create(address=ada.email, reason=SuppressionReason.UNSUBSCRIBED)

    response = api_as(marketer).post(
        f"/sequences/{sequence.pk}/enrollments", {"contact_id": ada.pk}
    )

    assert response.status_code == 422
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_reps_read_sequences_but_change_nothing(api_as, rep_a, sequence, ada):
    step = SequenceStep.objects.create(
        sequence=sequence, position=0, kind="wait", config={"days": 1}
    )
    api = api_as(rep_a)
    base = f"/sequences/{sequence.pk}"

    assert api.get("/sequences").json()["total"] == 1
    assert api.get(base).json()["name"] == "Nurture"
    assert api.get(f"{base}/steps").status_code == 200
    assert api.get(f"{base}/enrollments").status_code == 200
    refused = [
        api.post(
            "/sequences", {"name": "N", "trigger": "score_crossed", "trigger_config": {"score": 1}}
        ),
        api.patch(base, {"name": "Mine"}),
        api.post(f"{base}/activate"),
        api.post(f"{base}/pause"),
        api.post(f"{base}/steps", {"kind": "wait", "config": {"days": 1}}),
        api.patch(f"{base}/steps/{step.pk}", {"config": {"days": 3}}),
        api.post(f"{base}/steps/{step.pk}/move", {"direction": "down"}),
        api.delete(f"{base}/steps/{step.pk}"),
        api.post(f"{base}/enrollments", {"contact_id": ada.pk}),
        api.delete(base),
    ]

    assert [r.status_code for r in refused] == [403] * 10
    sequence.refresh_from_db()
    assert (sequence.name, sequence.status) == ("Nurture", SequenceStatus.DRAFT)
    assert SequenceStep.objects.get().config == {"days": 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/sequences/999", None),
        ("patch", "/sequences/999", {"name": "X"}),
        ("delete", "/sequences/999", None),
        ("post", "/sequences/999/activate", {}),
        ("post", "/sequences/999/pause", {}),
        ("get", "/sequences/999/steps", None),
        ("post", "/sequences/999/steps", {"kind": "wait", "config": {"days": 1}}),
        ("get", "/sequences/999/steps/1", None),
        ("patch", "/sequences/999/steps/1", {"config": {}}),
        ("delete", "/sequences/999/steps/1", None),
        ("post", "/sequences/999/steps/1/move", {"direction": "up"}),
        ("get", "/sequences/999/enrollments", None),
        ("post", "/sequences/999/enrollments", {"contact_id": 1}),
        ("post", "/sequences/999/enrollments/1/remove", {}),
    ],
)
def test_unknown_sequence_is_404(api_as, marketer, method, path, body):
    api = api_as(marketer)
    response = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)

    assert response.status_code == 404


# --- Contact imports -------------------------------------------------------------------------------

CSV = "email,first_name\nada@example.com,Ada\nnot-an-email,Bob\n"


@pytest.mark.django_db
def test_import_upload_configure_dry_run_and_bad_rows(api_as, marketer, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    api = api_as(marketer)

    created = api.post("/imports", {"file_name": "fair.csv", "csv": CSV})
    pk = created.json()["id"]
    early = api.get(f"/imports/{pk}/bad-rows")
    configured = api.post(
        f"/imports/{pk}/configure",
        {"mapping": {"email": "email", "first_name": "first_name"}, "duplicate_policy": "skip"},
    )
    import_services.contact_import_check(import_id=pk)  # the worker's dry run
    checked = api.get(f"/imports/{pk}").json()
    bad_rows = api.get(f"/imports/{pk}/bad-rows").json()
    refused_start = api.post(f"/imports/{pk}/start")
    listed = api.get("/imports", {"status": "checked"}).json()
    cancelled = api.post(f"/imports/{pk}/cancel")
    cancelled_again = api.post(f"/imports/{pk}/cancel")

    assert created.status_code == 201
    assert (created.json()["status"], created.json()["headers"]) == (
        "uploaded",
        ["email", "first_name"],
    )
    assert created.json()["mapping"] == {"email": "email", "first_name": "first_name"}
    assert early.status_code == 409
    assert configured.json()["status"] == "checking"
    assert (checked["status"], checked["rows_total"], checked["rows_bad"]) == ("checked", 2, 1)
    assert [(r["line"], r["cells"]) for r in bad_rows] == [(3, ["not-an-email", "Bob"])]
    assert refused_start.status_code == 409
    assert listed["total"] == 1
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled_again.status_code == 409
    assert not Contact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"csv": ""}, "csv"),
        ({"csv": "\n\n"}, "file"),
        ({"csv": CSV, "file_name": "list.xlsx"}, "file_name"),
        ({"csv": CSV, "kind": "deals"}, "kind"),
    ],
)
def test_bad_import_upload_is_refused(api_as, marketer, settings, tmp_path, body, field):
    settings.DATA_DIR = tmp_path

    response = api_as(marketer).post("/imports", body)

    assert response.status_code == 422
    assert field in error_fields(response)
    assert not ContactImport.objects.exists()


@pytest.mark.django_db
def test_only_the_uploader_or_an_admin_changes_an_import(
    api_as, marketer, rep_a, admin_user, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    pk = api_as(marketer).post("/imports", {"csv": CSV}).json()["id"]
    rep = api_as(rep_a)
    mapping = {"mapping": {"email": "email"}}

    assert rep.get(f"/imports/{pk}").status_code == 200
    assert rep.post(f"/imports/{pk}/configure", mapping).status_code == 403
    assert rep.post(f"/imports/{pk}/start").status_code == 403
    assert rep.post(f"/imports/{pk}/cancel").status_code == 403
    assert ContactImport.objects.get().status == ImportStatus.UPLOADED
    bad = api_as(marketer).post(f"/imports/{pk}/configure", {"mapping": {"email": "shoe_size"}})
    assert bad.status_code == 422
    assert error_fields(bad) == ["mapping"]
    assert ContactImport.objects.get().status == ImportStatus.UPLOADED
    assert api_as(admin_user).post(f"/imports/{pk}/cancel").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/imports/999", None),
        ("post", "/imports/999/configure", {"mapping": {}}),
        ("post", "/imports/999/start", {}),
        ("post", "/imports/999/cancel", {}),
        ("get", "/imports/999/bad-rows", None),
    ],
)
def test_unknown_import_is_404(api_as, marketer, method, path, body):
    api = api_as(marketer)
    response = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)

    assert response.status_code == 404
