"""The activity, My day, objection, meeting, availability and quota routes of the API."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from revline.audit.models import AuditEntry
from revline.people.services import company_create, contact_create
from revline.sales.activity_services import activity_complete, activity_log, activity_plan
from revline.sales.booking_services import availability_add
from revline.sales.models import (
    Activity,
    ActivityKind,
    BookingAvailability,
    Deal,
    Meeting,
    Objection,
    ObjectionResponse,
    ObjectionType,
    Quota,
)
from revline.sales.objection_services import (
    objection_log,
    objection_response_create,
    objection_type_create,
)
from revline.sales.quota_services import QuotaEntry, quotas_save
from revline.sales.services import deal_close_won, deal_create, pipeline_default

from .conftest import error_fields


@pytest.fixture
def pipeline(db):
    return pipeline_default()


@pytest.fixture
def ada(db):
    acme = company_create(actor=None, name="Acme")
    return contact_create(actor=None, first_name="Ada", email="ada@example.com", company=acme)


@pytest.fixture
def deal_a(rep_a, ada, pipeline) -> Deal:
    """An open deal owned by rep_a (team A); rep_b (team B) may not see it."""
    return deal_create(actor=rep_a, name="Acme rollout", amount=Decimal("1000.00"), contact=ada)


def audit_actions(obj) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("occurred_at", "pk")
        .values_list("action", flat=True)
    )


def later(days: int = 1) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


# --- activities: create -----------------------------------------------------------------------


@pytest.mark.django_db
def test_rep_logs_a_call_on_a_deal(api_as, rep_a, deal_a, ada):
    # When
    response = api_as(rep_a).post(
        "/activities",
        {
            "kind": "call",
            "subject": " Discovery call ",
            "body": "Talked budget",
            "deal_id": deal_a.pk,
            "occurred_at": "2026-01-05T10:00:00Z",
        },
    )
    # Then
    assert response.status_code == 201
    body = response.json()
    activity = Activity.objects.get()
    assert body["id"] == activity.pk
    assert (body["kind"], body["subject"], body["body"], body["status"]) == (
        "call",
        "Discovery call",
        "Talked budget",
        "logged",
    )
    assert (body["deal_id"], body["contact_id"], body["company_id"]) == (
        deal_a.pk,
        ada.pk,
        ada.company_id,
    )
    assert body["occurred_at"] == "2026-01-05T10:00:00Z"
    assert body["created_by"]["id"] == rep_a.pk
    assert body["due_at"] is None and body["assigned_to"] is None
    assert audit_actions(activity) == ["create"]


@pytest.mark.django_db
def test_manager_plans_a_task_for_a_team_member_with_a_reminder(api_as, manager_a, rep_a, ada):
    due = later(2)
    # When
    response = api_as(manager_a).post(
        "/activities",
        {
            "kind": "task",
            "subject": "Send the proposal",
            "contact_id": ada.pk,
            "due_at": due.isoformat(),
            "assigned_to_id": rep_a.pk,
            "remind_at": (due - timedelta(hours=1)).isoformat(),
        },
    )
    # Then
    assert response.status_code == 201
    activity = Activity.objects.get()
    assert (activity.assigned_to, activity.due_at, activity.remind_at) == (
        rep_a,
        due,
        due - timedelta(hours=1),
    )
    assert response.json()["status"] == "open"
    assert response.json()["assigned_to"]["id"] == rep_a.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "No target"}, "payload"),
        ({"subject": "   ", "contact_id": "ADA"}, "subject"),
        (
            {"kind": "note", "subject": "N", "contact_id": "ADA", "due_at": "2030-01-01T10:00Z"},
            "kind",
        ),
        ({"kind": "lunch", "subject": "Food", "contact_id": "ADA"}, "kind"),
        ({"subject": "Assigned, not planned", "contact_id": "ADA", "assigned_to_id": 1}, "payload"),
        ({"subject": "Unknown field", "contact_id": "ADA", "priority": "high"}, "priority"),
        ({"subject": "Huge id", "contact_id": 2**70}, "contact_id"),
    ],
)
def test_bad_activity_input_is_refused_and_nothing_is_stored(api_as, rep_a, ada, body, field):
    payload = {k: ada.pk if v == "ADA" else v for k, v in body.items()}
    # When
    response = api_as(rep_a).post("/activities", payload)
    # Then
    assert response.status_code == 422
    assert field in error_fields(response)
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_a_rep_cannot_assign_to_another_team_or_target_an_unseen_deal(
    api_as, rep_a, rep_b, deal_a, ada
):
    # When: rep_b plans for rep_a, and rep_b logs on rep_a's deal (hidden from rep_b)
    assign = api_as(rep_b).post(
        "/activities",
        {
            "kind": "task",
            "subject": "x",
            "contact_id": ada.pk,
            "due_at": "2030-01-01T10:00:00Z",
            "assigned_to_id": rep_a.pk,
        },
    )
    hidden = api_as(rep_b).post("/activities", {"subject": "x", "deal_id": deal_a.pk})
    unknown = api_as(rep_a).post("/activities", {"subject": "x", "deal_id": 999999})
    # Then
    assert (assign.status_code, error_fields(assign)) == (422, ["assigned_to"])
    assert (hidden.status_code, error_fields(hidden)) == (422, ["deal_id"])
    assert (unknown.status_code, error_fields(unknown)) == (422, ["deal_id"])
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_a_marketer_may_not_log_on_a_deal(api_as, marketer, deal_a):
    # When
    response = api_as(marketer).post("/activities", {"subject": "x", "deal_id": deal_a.pk})
    # Then
    assert response.status_code == 403
    assert Activity.objects.count() == 0


# --- activities: list and read ----------------------------------------------------------------


@pytest.fixture
def activities(rep_a, deal_a, ada):
    """A logged call on the deal, an overdue open task and a done task on the contact."""
    call = activity_log(actor=rep_a, kind="call", subject="Call", deal=deal_a)
    overdue = activity_plan(
        actor=rep_a, kind="task", subject="Overdue task", contact=ada, due_at=later(-2)
    )
    done = activity_plan(
        actor=rep_a, kind="task", subject="Done task", contact=ada, due_at=later(3)
    )
    activity_complete(actor=rep_a, activity=done, outcome="ok")
    return call, overdue, done


@pytest.mark.django_db
def test_activity_list_filters_and_hides_unseen_deals(api_as, rep_a, rep_b, activities):
    call, overdue, done = activities
    client = api_as(rep_a)
    # When / Then
    everything = client.get("/activities", {"sort": "subject"}).json()
    assert [a["id"] for a in everything["items"]] == [call.pk, done.pk, overdue.pk]
    assert everything["total"] == 3
    assert [a["id"] for a in client.get("/activities", {"status": "open"}).json()["items"]] == [
        overdue.pk
    ]
    assert [a["id"] for a in client.get("/activities", {"overdue": "true"}).json()["items"]] == [
        overdue.pk
    ]
    assert [a["id"] for a in client.get("/activities", {"kind": "call"}).json()["items"]] == [
        call.pk
    ]
    assert [a["status"] for a in client.get("/activities", {"status": "done"}).json()["items"]] == [
        "done"
    ]
    # rep_b of team B sees the contact's tasks, not the call on rep_a's deal
    other = api_as(rep_b).get("/activities", {"sort": "subject"}).json()
    assert [a["id"] for a in other["items"]] == [done.pk, overdue.pk]


@pytest.mark.django_db
def test_activity_list_refuses_an_unknown_sort(api_as, rep_a):
    response = api_as(rep_a).get("/activities", {"sort": "body"})
    assert response.status_code == 422
    assert error_fields(response) == ["sort"]


@pytest.mark.django_db
def test_reading_an_activity(api_as, rep_a, rep_b, activities):
    call = activities[0]
    # When
    ok = api_as(rep_a).get(f"/activities/{call.pk}")
    hidden = api_as(rep_b).get(f"/activities/{call.pk}")
    unknown = api_as(rep_a).get("/activities/999999")
    # Then
    assert (ok.status_code, ok.json()["subject"]) == (200, "Call")
    assert hidden.status_code == 404
    assert unknown.status_code == 404


# --- activities: change -----------------------------------------------------------------------


@pytest.mark.django_db
def test_updating_an_activity(api_as, rep_a, manager_a, activities):
    overdue = activities[1]
    due = later(5)
    # When
    response = api_as(rep_a).patch(
        f"/activities/{overdue.pk}",
        {"subject": "Moved task", "due_at": due.isoformat(), "assigned_to_id": manager_a.pk},
    )
    # Then
    assert response.status_code == 200
    overdue.refresh_from_db()
    assert (overdue.subject, overdue.due_at, overdue.assigned_to) == ("Moved task", due, manager_a)
    assert audit_actions(overdue) == ["create", "update"]


@pytest.mark.django_db
def test_refused_activity_updates_change_nothing(api_as, rep_a, marketer, activities):
    call, overdue, _ = activities
    # When
    moved = api_as(rep_a).patch(f"/activities/{overdue.pk}", {"occurred_at": "2026-01-01T00:00Z"})
    nulled = api_as(rep_a).patch(f"/activities/{call.pk}", {"subject": None})
    denied = api_as(marketer).patch(f"/activities/{call.pk}", {"subject": "Hacked"})
    unknown = api_as(rep_a).patch("/activities/999999", {"subject": "x"})
    # Then
    assert (moved.status_code, error_fields(moved)) == (422, ["occurred_at"])
    assert (nulled.status_code, error_fields(nulled)) == (422, ["subject"])
    assert denied.status_code == 403
    assert unknown.status_code == 404
    call.refresh_from_db()
    assert call.subject == "Call"
    assert audit_actions(call) == ["create"]


@pytest.mark.django_db
def test_removing_a_reminder_with_null(api_as, rep_a, ada):
    due = later(1)
    task = activity_plan(
        actor=rep_a, kind="task", subject="T", contact=ada, due_at=due, remind_at=due
    )
    response = api_as(rep_a).patch(f"/activities/{task.pk}", {"remind_at": None})
    assert (response.status_code, response.json()["remind_at"]) == (200, None)


@pytest.mark.django_db
def test_completing_and_reopening_an_activity(api_as, rep_a, activities):
    call, overdue, _ = activities
    client = api_as(rep_a)
    # When
    done = client.post(f"/activities/{overdue.pk}/complete", {"outcome": "Sent"})
    again = client.post(f"/activities/{overdue.pk}/complete", {"outcome": "Twice"})
    logged = client.post(f"/activities/{call.pk}/complete", {})
    # Then
    assert (done.status_code, done.json()["status"], done.json()["outcome"]) == (
        200,
        "done",
        "Sent",
    )
    assert again.status_code == 422
    assert logged.status_code == 422
    overdue.refresh_from_db()
    assert overdue.outcome == "Sent"
    # When reopened
    reopened = client.post(f"/activities/{overdue.pk}/reopen")
    assert (reopened.status_code, reopened.json()["status"]) == (200, "open")
    assert audit_actions(overdue) == ["create", "update", "update"]


@pytest.mark.django_db
def test_complete_and_reopen_refusals(api_as, rep_a, marketer, rep_b, deal_a):
    task = activity_plan(actor=rep_a, kind="call", subject="C", deal=deal_a, due_at=later(1))
    # When
    too_long = api_as(rep_a).post(f"/activities/{task.pk}/complete", {"outcome": "x" * 201})
    denied = api_as(marketer).post(f"/activities/{task.pk}/complete", {"outcome": ""})
    hidden = api_as(rep_b).post(f"/activities/{task.pk}/reopen")
    denied_reopen = api_as(marketer).post(f"/activities/{task.pk}/reopen")
    unknown = api_as(rep_a).post("/activities/999999/complete", {})
    # Then
    assert (too_long.status_code, error_fields(too_long)) == (422, ["outcome"])
    assert denied.status_code == 403
    assert hidden.status_code == 404
    assert denied_reopen.status_code == 403
    assert unknown.status_code == 404
    task.refresh_from_db()
    assert task.completed_at is None


@pytest.mark.django_db
def test_deleting_an_activity(api_as, rep_a, marketer, rep_b, activities):
    call = activities[0]
    # When refused
    assert api_as(marketer).delete(f"/activities/{call.pk}").status_code == 403
    assert api_as(rep_b).delete(f"/activities/{call.pk}").status_code == 404
    assert api_as(rep_a).delete("/activities/999999").status_code == 404
    assert Activity.objects.filter(pk=call.pk).exists()
    # When allowed
    pk = call.pk
    response = api_as(rep_a).delete(f"/activities/{pk}")
    # Then
    assert response.status_code == 204
    assert not Activity.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(
        object_type="sales.activity", object_id=str(pk), action="delete"
    ).exists()


# --- My day -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_day_lists_the_callers_open_work(api_as, rep_a, manager_a, rep_b, activities, deal_a):
    overdue = activities[1]
    deal_a.expected_close_date = timezone.localdate()
    deal_a.save(update_fields=["expected_close_date"])
    # When
    mine = api_as(rep_a).get("/my-day")
    managers_view = api_as(manager_a).get("/my-day", {"user_id": rep_a.pk})
    # Then
    assert mine.status_code == 200
    body = mine.json()
    assert body["user"]["id"] == rep_a.pk
    assert [a["id"] for a in body["overdue"]] == [overdue.pk]
    assert body["today"] == []
    assert [d["id"] for d in body["closing_deals"]] == [deal_a.pk]
    assert body["closing_deals"][0]["amount"] == "1000.00"
    assert managers_view.json()["overdue"][0]["id"] == overdue.pk
    # Other teams' days are not found; a bad id is a 422
    assert api_as(rep_b).get("/my-day", {"user_id": rep_a.pk}).status_code == 404
    assert api_as(rep_a).get("/my-day", {"user_id": 999999}).status_code == 404
    assert api_as(rep_a).get("/my-day", {"user_id": "me"}).status_code == 422


# --- objection library ------------------------------------------------------------------------


@pytest.fixture
def price(manager_a) -> ObjectionType:
    return objection_type_create(actor=manager_a, name="Price", position=10)


@pytest.mark.django_db
def test_listing_objection_types_with_counts(api_as, rep_a, rep_b, manager_a, price, deal_a):
    timing = objection_type_create(actor=manager_a, name="Timing", position=5)
    objection_log(actor=rep_a, deal=deal_a, objection_type=price)
    # When
    body = api_as(rep_a).get("/objection-types").json()
    other = api_as(rep_b).get("/objection-types", {"sort": "-raised"}).json()
    # Then: rep_b does not count objections on deals it cannot see
    assert [(t["name"], t["raised"], t["deals"]) for t in body["items"]] == [
        ("Timing", 0, 0),
        ("Price", 1, 1),
    ]
    assert [t["raised"] for t in other["items"]] == [0, 0]
    assert [
        t["id"] for t in api_as(rep_a).get("/objection-types", {"q": "tim"}).json()["items"]
    ] == [timing.pk]
    assert api_as(rep_a).get("/objection-types", {"sort": "bogus"}).status_code == 422


@pytest.mark.django_db
def test_manager_creates_updates_and_deletes_an_objection_type(api_as, manager_a):
    client = api_as(manager_a)
    # When
    created = client.post(
        "/objection-types", {"name": "Security", "description": "IT review", "position": 7}
    )
    # Then
    assert created.status_code == 201
    pk = created.json()["id"]
    assert (created.json()["name"], created.json()["position"], created.json()["responses"]) == (
        "Security",
        7,
        [],
    )
    # When updated (partially)
    updated = client.patch(f"/objection-types/{pk}", {"is_active": False})
    assert (updated.status_code, updated.json()["is_active"], updated.json()["name"]) == (
        200,
        False,
        "Security",
    )
    # When deleted
    objection_type = ObjectionType.objects.get(pk=pk)
    assert client.delete(f"/objection-types/{pk}").status_code == 204
    assert not ObjectionType.objects.filter(pk=pk).exists()
    assert audit_actions(objection_type) == ["create", "update", "delete"]


@pytest.mark.django_db
def test_objection_type_refusals(api_as, rep_a, manager_a, price, deal_a):
    # When
    denied = api_as(rep_a).post("/objection-types", {"name": "Nope"})
    duplicate = api_as(manager_a).post("/objection-types", {"name": "price"})
    no_content = api_as(manager_a).post("/objection-types", {"name": "X", "content_ids": [99999]})
    denied_patch = api_as(rep_a).patch(f"/objection-types/{price.pk}", {"name": "Cost"})
    blank = api_as(manager_a).patch(f"/objection-types/{price.pk}", {"name": "  "})
    unknown = api_as(manager_a).patch("/objection-types/99999", {"name": "Cost"})
    # Then
    assert denied.status_code == 403
    assert (duplicate.status_code, error_fields(duplicate)) == (422, ["name"])
    assert (no_content.status_code, error_fields(no_content)) == (422, ["content_ids"])
    assert denied_patch.status_code == 403
    assert (blank.status_code, error_fields(blank)) == (422, ["name"])
    assert unknown.status_code == 404
    assert list(ObjectionType.objects.values_list("name", flat=True)) == ["Price"]
    # A type logged on a deal is retired, not deleted
    objection_log(actor=rep_a, deal=deal_a, objection_type=price)
    used = api_as(manager_a).delete(f"/objection-types/{price.pk}")
    assert used.status_code == 422
    assert api_as(rep_a).delete(f"/objection-types/{price.pk}").status_code == 403
    assert api_as(manager_a).delete("/objection-types/99999").status_code == 404
    assert api_as(manager_a).get("/objection-types/99999").status_code == 404
    assert ObjectionType.objects.filter(pk=price.pk).exists()


@pytest.mark.django_db
def test_objection_responses(api_as, rep_a, manager_a, marketer, price, deal_a):
    # When a marketer adds a response (they write the answers)
    created = api_as(marketer).post(
        f"/objection-types/{price.pk}/responses", {"title": "ROI", "body": "Payback in 4 months"}
    )
    # Then
    assert created.status_code == 201
    pk = created.json()["id"]
    assert (created.json()["title"], created.json()["objection_type_id"]) == ("ROI", price.pk)
    listed = api_as(rep_a).get(f"/objection-types/{price.pk}/responses").json()
    assert [r["id"] for r in listed] == [pk]
    detail = api_as(rep_a).get(f"/objection-types/{price.pk}").json()
    assert [(r["title"], r["uses"], r["win_rate"]) for r in detail["responses"]] == [
        ("ROI", 0, None)
    ]
    assert api_as(rep_a).get(f"/objection-responses/{pk}").json()["body"] == "Payback in 4 months"
    # Update
    patched = api_as(manager_a).patch(f"/objection-responses/{pk}", {"is_active": False})
    assert (patched.status_code, patched.json()["is_active"], patched.json()["title"]) == (
        200,
        False,
        "ROI",
    )
    # Refusals
    assert (
        api_as(rep_a).post(f"/objection-types/{price.pk}/responses", {"title": "x"}).status_code
        == 403
    )
    blank = api_as(manager_a).post(f"/objection-types/{price.pk}/responses", {"title": " "})
    assert (blank.status_code, error_fields(blank)) == (422, ["title"])
    assert (
        api_as(manager_a).post("/objection-types/99999/responses", {"title": "x"}).status_code
        == 404
    )
    assert api_as(rep_a).get("/objection-types/99999/responses").status_code == 404
    assert api_as(rep_a).patch(f"/objection-responses/{pk}", {"title": "y"}).status_code == 403
    assert api_as(manager_a).patch(f"/objection-responses/{pk}", {"title": None}).status_code == 422
    assert api_as(manager_a).patch("/objection-responses/99999", {"title": "y"}).status_code == 404
    assert api_as(rep_a).get("/objection-responses/99999").status_code == 404
    assert ObjectionResponse.objects.get(pk=pk).title == "ROI"
    # Delete: refused while used, allowed once unused
    response = ObjectionResponse.objects.get(pk=pk)
    response.is_active = True
    response.save()
    objection = objection_log(actor=rep_a, deal=deal_a, objection_type=price, response=response)
    assert api_as(manager_a).delete(f"/objection-responses/{pk}").status_code == 422
    assert api_as(rep_a).delete(f"/objection-responses/{pk}").status_code == 403
    objection.delete()
    assert api_as(manager_a).delete(f"/objection-responses/{pk}").status_code == 204
    assert api_as(manager_a).delete(f"/objection-responses/{pk}").status_code == 404
    assert not ObjectionResponse.objects.filter(pk=pk).exists()


# --- objections on deals ----------------------------------------------------------------------


@pytest.mark.django_db
def test_rep_logs_an_objection_on_a_deal(api_as, rep_a, price, deal_a, manager_a):
    answer = objection_response_create(actor=manager_a, objection_type=price, title="ROI")
    # When
    response = api_as(rep_a).post(
        "/objections",
        {
            "deal_id": deal_a.pk,
            "objection_type_id": price.pk,
            "buyer_words": "Too expensive",
            "response_id": answer.pk,
            "outcome": "overcome",
        },
    )
    # Then
    assert response.status_code == 201
    body = response.json()
    objection = Objection.objects.get()
    assert body["id"] == objection.pk
    assert (body["deal_id"], body["objection_type"]["name"], body["stage"]["name"]) == (
        deal_a.pk,
        "Price",
        "Qualification",
    )
    assert (body["buyer_words"], body["response"]["title"], body["outcome"]) == (
        "Too expensive",
        "ROI",
        "overcome",
    )
    assert body["logged_by"]["id"] == rep_a.pk
    assert audit_actions(objection) == ["create"]


@pytest.mark.django_db
def test_objection_logging_refusals(api_as, rep_a, rep_b, marketer, manager_a, price, deal_a):
    other = objection_type_create(actor=manager_a, name="Timing")
    foreign = objection_response_create(actor=manager_a, objection_type=other, title="Later")
    base = {"deal_id": deal_a.pk, "objection_type_id": price.pk}
    # When
    denied = api_as(marketer).post("/objections", base)
    hidden = api_as(rep_b).post("/objections", base)
    no_type = api_as(rep_a).post("/objections", {**base, "objection_type_id": 99999})
    wrong_response = api_as(rep_a).post("/objections", {**base, "response_id": foreign.pk})
    bad_outcome = api_as(rep_a).post("/objections", {**base, "outcome": "maybe"})
    # Then
    assert denied.status_code == 403
    assert (hidden.status_code, error_fields(hidden)) == (422, ["deal_id"])
    assert (no_type.status_code, error_fields(no_type)) == (422, ["objection_type_id"])
    assert (wrong_response.status_code, error_fields(wrong_response)) == (422, ["response"])
    assert (bad_outcome.status_code, error_fields(bad_outcome)) == (422, ["outcome"])
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_objection_list_read_update_delete(api_as, rep_a, rep_b, marketer, price, deal_a):
    first = objection_log(actor=rep_a, deal=deal_a, objection_type=price)
    second = objection_log(actor=rep_a, deal=deal_a, objection_type=price, outcome="overcome")
    client = api_as(rep_a)
    # List and filters
    assert [o["id"] for o in client.get("/objections", {"sort": "raised_at"}).json()["items"]] == [
        first.pk,
        second.pk,
    ]
    assert [o["id"] for o in client.get("/objections", {"overcome": "true"}).json()["items"]] == [
        second.pk
    ]
    assert [o["id"] for o in client.get("/objections", {"outcome": "open"}).json()["items"]] == [
        first.pk
    ]
    assert api_as(rep_b).get("/objections").json()["total"] == 0
    assert client.get("/objections", {"outcome": "maybe"}).status_code == 422
    # Read
    assert client.get(f"/objections/{first.pk}").json()["outcome"] == "open"
    assert api_as(rep_b).get(f"/objections/{first.pk}").status_code == 404
    # Update
    updated = client.patch(
        f"/objections/{first.pk}", {"outcome": "not_overcome", "response_notes": "Still no"}
    )
    assert (updated.status_code, updated.json()["outcome"], updated.json()["response_notes"]) == (
        200,
        "not_overcome",
        "Still no",
    )
    assert client.patch(f"/objections/{first.pk}", {"outcome": None}).status_code == 422
    assert api_as(marketer).patch(f"/objections/{first.pk}", {"outcome": "open"}).status_code == 403
    assert client.patch("/objections/99999", {"outcome": "open"}).status_code == 404
    first.refresh_from_db()
    assert first.outcome == "not_overcome"
    # Delete
    assert api_as(marketer).delete(f"/objections/{first.pk}").status_code == 403
    assert api_as(rep_b).delete(f"/objections/{first.pk}").status_code == 404
    assert client.delete(f"/objections/{first.pk}").status_code == 204
    assert list(Objection.objects.values_list("pk", flat=True)) == [second.pk]
    assert audit_actions(first) == ["create", "update", "delete"]


@pytest.mark.django_db
def test_objection_report_numbers(api_as, rep_a, rep_b, price, deal_a, pipeline):
    objection_log(actor=rep_a, deal=deal_a, objection_type=price, outcome="overcome")
    deal_close_won(actor=rep_a, deal=deal_a, note="Signed")
    # When
    response = api_as(rep_a).get("/reports/objections")
    # Then
    assert response.status_code == 200
    body = response.json()
    assert (body["raised"], body["closed_deals"], body["won_deals"], body["win_rate"]) == (
        1,
        1,
        1,
        100.0,
    )
    row = next(t for t in body["types"] if t["type_id"] == price.pk)
    assert (row["name"], row["raised"], row["overcome"], row["overcome_rate"]) == (
        "Price",
        1,
        1,
        100.0,
    )
    assert (row["won_with"], row["win_rate_with"], row["win_rate_without"]) == (1, 100.0, None)
    assert body["stages"] == [
        {"id": pipeline.stages.get(name="Qualification").pk, "label": "Qualification"}
    ]
    # rep_b sees none of team A's numbers
    other = api_as(rep_b).get("/reports/objections").json()
    assert (other["raised"], other["closed_deals"]) == (0, 0)
    # Bad filters
    swapped = api_as(rep_a).get("/reports/objections", {"start": "2026-02-01", "end": "2026-01-01"})
    assert swapped.status_code == 422
    no_pipeline = api_as(rep_a).get("/reports/objections", {"pipeline_id": 99999})
    assert (no_pipeline.status_code, error_fields(no_pipeline)) == (422, ["pipeline_id"])


# --- meetings ---------------------------------------------------------------------------------


@pytest.fixture
def meeting(rep_a, ada, deal_a) -> Meeting:
    starts = later(2)
    activity = activity_log(
        actor=None,
        kind=ActivityKind.MEETING,
        subject="Meeting with Ada",
        deal=deal_a,
        occurred_at=starts,
    )
    return Meeting.objects.create(
        user=rep_a,
        contact=ada,
        deal=deal_a,
        activity=activity,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
    )


@pytest.mark.django_db
def test_meetings_are_listed_for_their_rep_and_manager_only(
    api_as, rep_a, rep_b, manager_a, admin_user, meeting
):
    # When / Then
    mine = api_as(rep_a).get("/meetings").json()
    assert [m["id"] for m in mine["items"]] == [meeting.pk]
    assert (mine["items"][0]["contact"]["email"], mine["items"][0]["deal_id"]) == (
        "ada@example.com",
        meeting.deal_id,
    )
    assert api_as(manager_a).get("/meetings").json()["total"] == 1
    assert api_as(admin_user).get("/meetings", {"user_id": rep_a.pk}).json()["total"] == 1
    assert api_as(rep_b).get("/meetings").json()["total"] == 0
    assert api_as(rep_a).get("/meetings", {"sort": "user"}).status_code == 422
    assert api_as(rep_a).get(f"/meetings/{meeting.pk}").json()["id"] == meeting.pk
    assert api_as(rep_b).get(f"/meetings/{meeting.pk}").status_code == 404
    assert api_as(rep_a).get("/meetings/99999").status_code == 404


@pytest.mark.django_db
def test_cancelling_a_meeting_frees_the_slot_and_keeps_the_history(api_as, rep_a, rep_b, meeting):
    activity = meeting.activity
    # When refused
    assert api_as(rep_b).post(f"/meetings/{meeting.pk}/cancel", {}).status_code == 404
    too_long = api_as(rep_a).post(f"/meetings/{meeting.pk}/cancel", {"reason": "x" * 1001})
    assert too_long.status_code == 422
    assert api_as(rep_a).post("/meetings/99999/cancel", {}).status_code == 404
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    # When
    pk = meeting.pk
    response = api_as(rep_a).post(f"/meetings/{pk}/cancel", {"reason": "Buyer ill"})
    # Then
    assert response.status_code == 204
    assert not Meeting.objects.filter(pk=pk).exists()
    activity.refresh_from_db()
    assert (activity.kind, activity.subject) == ("note", "Cancelled: Meeting with Ada")
    assert activity.body.endswith("Cancelled: Buyer ill")
    assert AuditEntry.objects.filter(
        object_type="sales.meeting", object_id=str(pk), action="delete"
    ).exists()


# --- booking availability ---------------------------------------------------------------------


def window_body(**changes):
    return {
        "weekday": 0,
        "start_time": "09:00",
        "end_time": "12:00",
        "slot_minutes": 30,
        "time_zone": "Europe/Berlin",
        **changes,
    }


@pytest.mark.django_db
def test_availability_is_set_by_the_rep_or_their_manager(api_as, rep_a, manager_a):
    # When
    own = api_as(rep_a).post("/booking-availability", window_body())
    by_manager = api_as(manager_a).post(
        "/booking-availability", window_body(weekday=1, user_id=rep_a.pk)
    )
    # Then
    assert own.status_code == 201
    assert (own.json()["user_id"], own.json()["start_time"], own.json()["time_zone"]) == (
        rep_a.pk,
        "09:00",
        "Europe/Berlin",
    )
    assert by_manager.status_code == 201
    listed = api_as(rep_a).get("/booking-availability").json()
    assert [(w["weekday"], w["end_time"]) for w in listed] == [(0, "12:00"), (1, "12:00")]
    assert api_as(manager_a).get("/booking-availability", {"user_id": rep_a.pk}).status_code == 200
    assert audit_actions(BookingAvailability.objects.get(pk=own.json()["id"])) == ["create"]


@pytest.mark.django_db
def test_availability_refusals(api_as, rep_a, rep_b):
    window = availability_add(
        actor=rep_a,
        user=rep_a,
        weekday=0,
        start_time=time(9),
        end_time=time(12),
        slot_minutes=30,
        time_zone="UTC",
    )
    # When
    overlap = api_as(rep_a).post(
        "/booking-availability", window_body(start_time="11:00", end_time="13:00")
    )
    backwards = api_as(rep_a).post(
        "/booking-availability", window_body(weekday=2, end_time="08:00")
    )
    bad_day = api_as(rep_a).post("/booking-availability", window_body(weekday=9))
    bad_zone = api_as(rep_a).post(
        "/booking-availability", window_body(weekday=3, time_zone="Mars/Base")
    )
    other = api_as(rep_b).post("/booking-availability", window_body(user_id=rep_a.pk))
    offset = api_as(rep_a).post("/booking-availability", window_body(start_time="09:00+02:00"))
    read_other = api_as(rep_b).get("/booking-availability", {"user_id": rep_a.pk})
    no_user = api_as(rep_a).get("/booking-availability", {"user_id": 99999})
    # Then
    assert (overlap.status_code, error_fields(overlap)) == (422, ["start_time"])
    assert (backwards.status_code, error_fields(backwards)) == (422, ["end_time"])
    assert (bad_day.status_code, error_fields(bad_day)) == (422, ["weekday"])
    assert (bad_zone.status_code, error_fields(bad_zone)) == (422, ["time_zone"])
    assert (offset.status_code, error_fields(offset)) == (422, ["start_time"])
    assert other.status_code == 403
    assert read_other.status_code == 403
    assert no_user.status_code == 404
    assert list(BookingAvailability.objects.values_list("pk", flat=True)) == [window.pk]


@pytest.mark.django_db
def test_availability_window_read_update_delete(api_as, rep_a, rep_b):
    window = availability_add(
        actor=rep_a,
        user=rep_a,
        weekday=0,
        start_time=time(9),
        end_time=time(12),
        slot_minutes=30,
        time_zone="UTC",
    )
    other = availability_add(
        actor=rep_a,
        user=rep_a,
        weekday=0,
        start_time=time(13),
        end_time=time(15),
        slot_minutes=30,
        time_zone="UTC",
    )
    client = api_as(rep_a)
    assert client.get(f"/booking-availability/{window.pk}").json()["end_time"] == "12:00"
    assert api_as(rep_b).get(f"/booking-availability/{window.pk}").status_code == 404
    # Update
    changed = client.patch(f"/booking-availability/{window.pk}", {"end_time": "12:30"})
    assert (changed.status_code, changed.json()["end_time"]) == (200, "12:30")
    clash = client.patch(f"/booking-availability/{window.pk}", {"end_time": "14:00"})
    assert (clash.status_code, error_fields(clash)) == (422, ["start_time"])
    assert client.patch(f"/booking-availability/{window.pk}", {"weekday": None}).status_code == 422
    assert (
        api_as(rep_b).patch(f"/booking-availability/{window.pk}", {"weekday": 2}).status_code == 404
    )
    window.refresh_from_db()
    assert (window.weekday, window.end_time) == (0, time(12, 30))
    # Delete
    assert api_as(rep_b).delete(f"/booking-availability/{window.pk}").status_code == 404
    assert client.delete(f"/booking-availability/{window.pk}").status_code == 204
    assert client.delete(f"/booking-availability/{window.pk}").status_code == 404
    assert list(BookingAvailability.objects.values_list("pk", flat=True)) == [other.pk]


# --- quotas -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_manager_sets_and_changes_a_team_members_quota(api_as, manager_a, rep_a):
    client = api_as(manager_a)
    body = {
        "user_id": rep_a.pk,
        "period": "quarter",
        "period_start": "2026-04-01",
        "amount": "90000",
    }
    # When
    created = client.post("/quotas", body)
    changed = client.post("/quotas", {**body, "amount": "95000.50"})
    # Then
    assert created.status_code == 201
    assert changed.status_code == 200
    assert (changed.json()["amount"], changed.json()["period"], changed.json()["currency"]) == (
        "95000.50",
        "quarter",
        "EUR",
    )
    quota = Quota.objects.get()
    assert (quota.user, quota.period_start, quota.amount) == (
        rep_a,
        date(2026, 4, 1),
        Decimal("95000.50"),
    )
    assert audit_actions(quota) == ["create", "update"]


@pytest.mark.django_db
def test_quota_refusals(api_as, manager_a, rep_a, rep_b, marketer):
    body = {"user_id": rep_a.pk, "period": "month", "period_start": "2026-04-01", "amount": "100"}
    # When
    by_rep = api_as(rep_a).post("/quotas", body)
    other_team = api_as(manager_a).post("/quotas", {**body, "user_id": rep_b.pk})
    mid_month = api_as(manager_a).post("/quotas", {**body, "period_start": "2026-04-15"})
    negative = api_as(manager_a).post("/quotas", {**body, "amount": "-1"})
    huge = api_as(manager_a).post("/quotas", {**body, "amount": "1e20"})
    nobody = api_as(manager_a).post("/quotas", {**body, "user_id": 99999})
    not_a_seller = api_as(manager_a).post("/quotas", {**body, "user_id": marketer.pk})
    # Then
    assert by_rep.status_code == 403
    assert other_team.status_code == 403
    assert (mid_month.status_code, error_fields(mid_month)) == (422, ["period_start"])
    assert (negative.status_code, error_fields(negative)) == (422, ["amount"])
    assert (huge.status_code, error_fields(huge)) == (422, ["amount"])
    assert (nobody.status_code, error_fields(nobody)) == (422, ["user_id"])
    assert not_a_seller.status_code == 403  # a manager sets only their team's
    assert Quota.objects.count() == 0


@pytest.mark.django_db
def test_quota_list_read_update_delete(api_as, admin_user, manager_a, rep_a, rep_b, marketer):
    quotas_save(
        actor=admin_user,
        period="month",
        entries=[
            QuotaEntry(user=rep_a, period_start=date(2026, 1, 1), amount=Decimal("100")),
            QuotaEntry(user=rep_a, period_start=date(2026, 2, 1), amount=Decimal("200")),
            QuotaEntry(user=rep_b, period_start=date(2026, 1, 1), amount=Decimal("300")),
        ],
    )
    jan_a = Quota.objects.get(user=rep_a, period_start=date(2026, 1, 1))
    jan_b = Quota.objects.get(user=rep_b)
    # List: each sees what the quotas page shows them
    assert [q["amount"] for q in api_as(rep_a).get("/quotas").json()["items"]] == [
        "200.00",
        "100.00",
    ]
    assert api_as(manager_a).get("/quotas").json()["total"] == 2
    assert api_as(marketer).get("/quotas", {"sort": "amount"}).json()["total"] == 3
    assert api_as(admin_user).get("/quotas", {"user_id": rep_b.pk}).json()["items"][0]["id"] == (
        jan_b.pk
    )
    assert api_as(rep_a).get("/quotas", {"period": "week"}).status_code == 422
    # Read
    assert api_as(rep_a).get(f"/quotas/{jan_a.pk}").json()["amount"] == "100.00"
    assert api_as(rep_a).get(f"/quotas/{jan_b.pk}").status_code == 404
    # Update
    assert api_as(rep_a).patch(f"/quotas/{jan_a.pk}", {"amount": "1"}).status_code == 403
    assert api_as(manager_a).patch(f"/quotas/{jan_a.pk}", {"amount": "-5"}).status_code == 422
    assert api_as(manager_a).patch("/quotas/99999", {"amount": "5"}).status_code == 404
    assert api_as(manager_a).patch(f"/quotas/{jan_b.pk}", {"amount": "5"}).status_code == 404
    updated = api_as(manager_a).patch(f"/quotas/{jan_a.pk}", {"amount": "150"})
    assert (updated.status_code, updated.json()["amount"]) == (200, "150.00")
    # Delete
    assert api_as(rep_a).delete(f"/quotas/{jan_a.pk}").status_code == 403
    assert api_as(manager_a).delete(f"/quotas/{jan_b.pk}").status_code == 404
    assert api_as(manager_a).delete(f"/quotas/{jan_a.pk}").status_code == 204
    assert sorted(Quota.objects.values_list("amount", flat=True)) == [
        Decimal("200.00"),
        Decimal("300.00"),
    ]
    assert audit_actions(jan_a) == ["create", "update", "delete"]
