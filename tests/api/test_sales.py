from datetime import UTC, datetime
from decimal import Decimal

import pytest

from revline.core.workspace import workspace_get
from revline.people.services import company_create, contact_create
from revline.sales.models import Activity, CloseReason, Competitor, Deal, DealStageChange, Stage
from revline.sales.services import DEFAULT_STAGES, deal_create, pipeline_create, pipeline_default

from .conftest import error_fields


@pytest.fixture
def pipeline(db):
    return pipeline_default()


def stage(pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


@pytest.fixture
def ada(db):
    acme = company_create(actor=None, name="Acme")
    return contact_create(actor=None, first_name="Ada", email="ada@example.com", company=acme)


@pytest.fixture
def deal_a(rep_a, ada, pipeline) -> Deal:
    """An open deal owned by rep_a (team A), in Qualification."""
    return deal_create(actor=rep_a, name="Acme rollout", amount=Decimal("1000.00"), contact=ada)


def snapshot(deal: Deal) -> tuple:
    deal.refresh_from_db()
    return (deal.name, deal.amount, deal.stage_id, deal.status, deal.owner_id, deal.close_note)


# --- pipelines --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pipelines_list_their_stages_in_order(api_as, rep_a, pipeline):
    # Given: a second pipeline
    other = pipeline_create(actor=None, name="Renewals", stages=DEFAULT_STAGES[-3:])
    # When
    response = api_as(rep_a).get("/pipelines")
    # Then
    assert response.status_code == 200
    body = response.json()
    assert [(p["id"], p["name"], p["is_default"]) for p in body] == [
        (pipeline.pk, "New business", True),
        (other.pk, "Renewals", False),
    ]
    assert [(s["name"], s["position"], s["probability"], s["kind"]) for s in body[0]["stages"]] == [
        ("Qualification", 0, 10, "open"),
        ("Discovery", 1, 25, "open"),
        ("Proposal", 2, 50, "open"),
        ("Negotiation", 3, 75, "open"),
        ("Won", 4, 100, "won"),
        ("Lost", 5, 0, "lost"),
    ]


# --- create -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rep_creates_a_deal_and_its_contact_becomes_an_opportunity(api_as, rep_a, ada, pipeline):
    # When
    response = api_as(rep_a).post(
        "/deals",
        {
            "name": "Acme rollout",
            "amount": "1200.5",
            "contact_id": ada.pk,
            "expected_close_date": "2025-06-30",
        },
    )
    # Then
    assert response.status_code == 201
    deal = Deal.objects.get()
    body = response.json()
    qualification = stage(pipeline, "Qualification")
    assert {
        k: v for k, v in body.items() if k not in ("created_at", "updated_at", "stage_changed_at")
    } == {
        "id": deal.pk,
        "name": "Acme rollout",
        "pipeline_id": pipeline.pk,
        "stage": {
            "id": qualification.pk,
            "name": "Qualification",
            "position": 0,
            "probability": 10,
            "kind": "open",
        },
        "status": "open",
        "amount": "1200.50",
        "currency": "EUR",
        "contact": {"id": ada.pk, "name": "Ada", "email": "ada@example.com"},
        "company": {"id": ada.company_id, "name": "Acme"},
        "owner": {"id": rep_a.pk, "name": "Rep_A", "email": "rep_a@example.com"},
        "expected_close_date": "2025-06-30",
        "closed_at": None,
        "close_reason": "",
        "close_note": "",
        "lost_to": "",
        "next_step": "",
        "forecast_category": "pipeline",
    }
    assert deal.amount == Decimal("1200.50")
    ada.refresh_from_db()
    assert ada.lifecycle_stage == "opportunity"


@pytest.mark.django_db
def test_deal_can_start_in_a_chosen_open_stage_with_its_own_currency(api_as, manager_a, pipeline):
    proposal = stage(pipeline, "Proposal")
    response = api_as(manager_a).post(
        "/deals", {"name": "Big", "amount": 5, "currency": "usd", "stage_id": proposal.pk}
    )
    assert response.status_code == 201
    assert (response.json()["stage"]["name"], response.json()["currency"]) == ("Proposal", "USD")
    assert response.json()["amount"] == "5.00"


@pytest.mark.django_db
def test_marketer_creating_a_deal_is_403(api_as, marketer, pipeline):
    response = api_as(marketer).post("/deals", {"name": "Nope", "amount": "10"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only sales people and admins create deals."}
    assert Deal.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "10"}, "name"),
        ({"name": " ", "amount": "10"}, "name"),
        ({"name": "X"}, "amount"),
        ({"name": "X", "amount": "-1"}, "amount"),
        ({"name": "X", "amount": "ten"}, "amount"),
        ({"name": "X", "amount": "10.001"}, "amount"),
        ({"name": "X", "amount": "NaN"}, "amount"),
        ({"name": "X", "amount": "1e20"}, "amount"),
        ({"name": "X", "amount": "10", "currency": "EURO"}, "currency"),
        ({"name": "X", "amount": "10", "status": "won"}, "status"),
        ({"name": "X", "amount": "10", "contact_id": 999}, "contact_id"),
        ({"name": "X", "amount": "10", "stage_id": 999}, "stage_id"),
        ({"name": "X", "amount": "10", "expected_close_date": "soon"}, "expected_close_date"),
    ],
)
def test_bad_deal_is_422_naming_the_field(api_as, rep_a, pipeline, body, field):
    response = api_as(rep_a).post("/deals", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert Deal.objects.count() == 0


@pytest.mark.django_db
def test_deal_cannot_start_won(api_as, rep_a, pipeline):
    response = api_as(rep_a).post(
        "/deals", {"name": "X", "amount": "10", "stage_id": stage(pipeline, "Won").pk}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "stage"],
            "msg": "A new deal starts in an open stage; close it won or lost afterwards.",
            "type": "value_error",
        }
    ]
    assert Deal.objects.count() == 0


# --- read and list ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_deals_with_filters(api_as, marketer, rep_a, rep_b, pipeline, deal_a):
    # Given
    other = deal_create(
        actor=rep_b, name="Globex pilot", amount=Decimal("300"), stage=stage(pipeline, "Proposal")
    )
    lost = deal_create(actor=rep_b, name="Initech", amount=Decimal("50"))
    Deal.objects.filter(pk=deal_a.pk).update(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    Deal.objects.filter(pk=other.pk).update(created_at=datetime(2025, 1, 2, tzinfo=UTC))
    Deal.objects.filter(pk=lost.pk).update(created_at=datetime(2025, 1, 3, tzinfo=UTC))
    from revline.sales.services import deal_close_lost

    deal_close_lost(actor=rep_b, deal=lost, note="Budget cut")
    api = api_as(marketer)

    def ids(params=None):
        response = api.get("/deals", params)
        assert response.status_code == 200
        assert response.json()["total"] == len(response.json()["items"])
        return [d["id"] for d in response.json()["items"]]

    # Then
    assert ids() == [lost.pk, other.pk, deal_a.pk]
    assert ids({"status": "open"}) == [other.pk, deal_a.pk]
    assert ids({"status": "lost"}) == [lost.pk]
    assert ids({"stage_id": stage(pipeline, "Proposal").pk}) == [other.pk]
    assert ids({"pipeline_id": pipeline.pk}) == [lost.pk, other.pk, deal_a.pk]
    assert ids({"owner_id": rep_a.pk}) == [deal_a.pk]
    assert ids({"contact_id": deal_a.contact_id}) == [deal_a.pk]
    assert ids({"q": "glob"}) == [other.pk]
    assert ids({"sort": "amount"}) == [lost.pk, other.pk, deal_a.pk]
    assert api.get("/deals", {"status": "maybe"}).status_code == 422


@pytest.mark.django_db
def test_get_deal_and_unknown_deal(api_as, marketer, deal_a):
    api = api_as(marketer)
    assert api.get(f"/deals/{deal_a.pk}").json()["amount"] == "1000.00"
    for path in ("/deals/999", "/deals/999/activities"):
        assert api.get(path).status_code == 404
    assert api_as(deal_a.owner).post("/deals/999/won", {"note": "x"}).status_code == 404
    assert api_as(deal_a.owner).patch("/deals/999", {"name": "x"}).status_code == 404


# --- update -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_owner_patches_a_deal(api_as, rep_a, deal_a):
    response = api_as(rep_a).patch(
        f"/deals/{deal_a.pk}", {"amount": "1500", "name": "Acme v2", "company_id": None}
    )
    assert response.status_code == 200
    assert (response.json()["amount"], response.json()["name"], response.json()["company"]) == (
        "1500.00",
        "Acme v2",
        None,
    )
    deal_a.refresh_from_db()
    assert (deal_a.amount, deal_a.name, deal_a.company_id) == (Decimal("1500.00"), "Acme v2", None)


@pytest.mark.django_db
def test_a_teammate_manager_may_change_the_deal(api_as, manager_a, deal_a):
    response = api_as(manager_a).patch(f"/deals/{deal_a.pk}", {"amount": "900"})
    assert response.status_code == 200
    deal_a.refresh_from_db()
    assert deal_a.amount == Decimal("900.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"amount": "1"}),
        ("post", "/move", {"stage_id": None}),
        ("post", "/won", {"note": "Mine now"}),
        ("post", "/lost", {"note": "Sabotage"}),
        ("post", "/activities", {"subject": "Sneaky note"}),
    ],
)
@pytest.mark.parametrize(
    ("visibility", "status", "detail"),
    [
        ("team", 404, "Not Found"),
        ("all", 403, "You can only change deals of your own team."),
    ],
)
def test_rep_of_another_team_cannot_change_the_deal(
    api_as, rep_b, pipeline, deal_a, method, suffix, body, visibility, status, detail
):
    # Given: by default a rep does not even see other teams' deals
    workspace = workspace_get()
    workspace.deal_visibility = visibility
    workspace.save()
    before = snapshot(deal_a)
    changes_before = DealStageChange.objects.count()
    if body.get("stage_id", 0) is None:
        body = {"stage_id": stage(pipeline, "Proposal").pk}
    # When
    response = getattr(api_as(rep_b), method)(f"/deals/{deal_a.pk}{suffix}", body)
    # Then
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert snapshot(deal_a) == before
    assert DealStageChange.objects.count() == changes_before
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_marketer_cannot_change_a_deal(api_as, marketer, deal_a):
    before = snapshot(deal_a)
    assert api_as(marketer).patch(f"/deals/{deal_a.pk}", {"amount": "1"}).status_code == 403
    assert snapshot(deal_a) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": None}, "amount"),
        ({"name": ""}, "name"),
        ({"stage_id": 1}, "stage_id"),
        ({"status": "won"}, "status"),
        ({"owner_id": 4242}, "owner_id"),
    ],
)
def test_bad_deal_patch_is_422_and_changes_nothing(api_as, rep_a, deal_a, body, field):
    before = snapshot(deal_a)
    response = api_as(rep_a).patch(f"/deals/{deal_a.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert snapshot(deal_a) == before


# --- move, won, lost --------------------------------------------------------------------------


@pytest.mark.django_db
def test_move_deal_to_another_open_stage(api_as, rep_a, pipeline, deal_a):
    proposal = stage(pipeline, "Proposal")
    response = api_as(rep_a).post(f"/deals/{deal_a.pk}/move", {"stage_id": proposal.pk})
    assert response.status_code == 200
    assert response.json()["stage"]["name"] == "Proposal"
    deal_a.refresh_from_db()
    assert deal_a.stage_id == proposal.pk
    assert list(
        DealStageChange.objects.filter(deal=deal_a).values_list(
            "from_stage__name", "to_stage__name"
        )
    ) == [("Qualification", "Proposal"), (None, "Qualification")]


@pytest.mark.django_db
def test_bad_moves_are_422_and_change_nothing(api_as, rep_a, pipeline, deal_a):
    other = pipeline_create(actor=None, name="Renewals", stages=DEFAULT_STAGES)
    api = api_as(rep_a)
    before = snapshot(deal_a)
    cases = [
        ({"stage_id": 99999}, ["body", "stage_id"]),
        ({"stage_id": "first"}, ["body", "payload", "stage_id"]),
        ({}, ["body", "payload", "stage_id"]),
        ({"stage_id": stage(pipeline, "Won").pk}, ["body", "stage"]),
        ({"stage_id": other.stages.get(name="Proposal").pk}, ["body", "stage"]),
    ]
    for body, loc in cases:
        response = api.post(f"/deals/{deal_a.pk}/move", body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"] == loc
    assert snapshot(deal_a) == before


@pytest.mark.django_db
def test_win_a_deal(api_as, rep_a, ada, deal_a):
    reason = CloseReason.objects.get(kind="won", name="Best product fit")
    response = api_as(rep_a).post(
        f"/deals/{deal_a.pk}/won", {"reason_id": reason.pk, "note": " Great fit "}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["stage"]["name"], body["close_reason"], body["close_note"]) == (
        "won",
        "Won",
        "Best product fit",
        "Great fit",
    )
    assert body["closed_at"] is not None
    ada.refresh_from_db()
    assert ada.lifecycle_stage == "customer"
    # And: a closed deal cannot be won again
    again = api_as(rep_a).post(f"/deals/{deal_a.pk}/won", {"note": "Twice"})
    assert again.status_code == 422
    assert error_fields(again) == ["status"]
    deal_a.refresh_from_db()
    assert (deal_a.close_reason.name, deal_a.close_note) == ("Best product fit", "Great fit")


@pytest.mark.django_db
def test_lose_a_deal(api_as, rep_a, ada, deal_a):
    rival = Competitor.objects.create(name="Rivalsoft")
    price = CloseReason.objects.get(kind="lost", name="Price")
    response = api_as(rep_a).post(
        f"/deals/{deal_a.pk}/lost", {"reason_id": price.pk, "lost_to_id": rival.pk}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["stage"]["name"], body["close_reason"], body["lost_to"]) == (
        "lost",
        "Lost",
        "Price",
        "Rivalsoft",
    )
    ada.refresh_from_db()
    assert ada.lifecycle_stage == "opportunity"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"note": ""}, "reason"),
        ({"note": "   "}, "reason"),
        ({"reason_id": 9999}, "reason_id"),
    ],
)
def test_closing_needs_a_reason(api_as, rep_a, deal_a, body, field):
    before = snapshot(deal_a)
    for outcome in ("won", "lost"):
        response = api_as(rep_a).post(f"/deals/{deal_a.pk}/{outcome}", body)
        assert response.status_code == 422
        assert error_fields(response) == [field]
    assert snapshot(deal_a) == before


@pytest.mark.django_db
def test_a_lost_reason_cannot_close_a_deal_as_won(api_as, rep_a, deal_a):
    before = snapshot(deal_a)
    price = CloseReason.objects.get(kind="lost", name="Price")
    response = api_as(rep_a).post(f"/deals/{deal_a.pk}/won", {"reason_id": price.pk})
    assert response.status_code == 422
    assert error_fields(response) == ["reason"]
    assert snapshot(deal_a) == before


# --- activities -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_log_and_list_activities(api_as, rep_a, ada, deal_a):
    # When
    response = api_as(rep_a).post(
        f"/deals/{deal_a.pk}/activities",
        {
            "kind": "call",
            "subject": "Discovery call",
            "body": "Needs SSO",
            "occurred_at": "2025-05-02T14:30:00+02:00",
        },
    )
    # Then
    assert response.status_code == 201
    activity = Activity.objects.get()
    assert response.json() == {
        "id": activity.pk,
        "kind": "call",
        "subject": "Discovery call",
        "body": "Needs SSO",
        "occurred_at": "2025-05-02T12:30:00Z",
        "deal_id": deal_a.pk,
        "contact_id": ada.pk,
        "created_by": {"id": rep_a.pk, "name": "Rep_A", "email": "rep_a@example.com"},
    }
    assert ada.events.filter(kind="activity").count() == 1
    listed = api_as(rep_a).get(f"/deals/{deal_a.pk}/activities").json()
    assert [a["id"] for a in listed] == [activity.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"kind": "lunch", "subject": "x"}, "kind"),
        ({"subject": "x", "occurred_at": "tomorrow-ish"}, "occurred_at"),
        ({"subject": "x", "created_by": 1}, "created_by"),
    ],
)
def test_bad_activity_is_422_and_logs_nothing(api_as, rep_a, deal_a, body, field):
    response = api_as(rep_a).post(f"/deals/{deal_a.pk}/activities", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert Activity.objects.count() == 0


# --- reopen and delete ------------------------------------------------------------------------


@pytest.mark.django_db
def test_rep_reopens_a_lost_deal(api_as, rep_a, pipeline, deal_a):
    from revline.sales.services import deal_close_lost

    deal_close_lost(actor=rep_a, deal=deal_a, reason=None, note="Went quiet")
    response = api_as(rep_a).post(f"/deals/{deal_a.pk}/reopen")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["stage"]["name"]) == ("open", "Negotiation")
    deal_a.refresh_from_db()
    assert (deal_a.status, deal_a.close_note, deal_a.closed_at) == ("open", "", None)


@pytest.mark.django_db
def test_reopen_is_refused_for_marketer_and_hidden_from_other_team(
    api_as, rep_a, rep_b, marketer, pipeline, deal_a
):
    from revline.sales.services import deal_close_lost

    deal_close_lost(actor=rep_a, deal=deal_a, reason=None, note="Went quiet")
    assert api_as(marketer).post(f"/deals/{deal_a.pk}/reopen").status_code == 403
    assert api_as(rep_b).post(f"/deals/{deal_a.pk}/reopen").status_code == 404
    assert api_as(rep_a).post("/deals/999999/reopen").status_code == 404
    deal_a.refresh_from_db()
    assert deal_a.status == "lost"


@pytest.mark.django_db
def test_manager_of_the_team_deletes_a_deal(api_as, manager_a, deal_a):
    from revline.audit.models import AuditEntry

    response = api_as(manager_a).delete(f"/deals/{deal_a.pk}")
    assert response.status_code == 204
    assert not Deal.objects.filter(pk=deal_a.pk).exists()
    assert AuditEntry.objects.filter(
        action="delete", object_type="sales.deal", object_id=str(deal_a.pk)
    ).exists()


@pytest.mark.django_db
def test_rep_cannot_delete_a_deal_and_other_teams_do_not_see_it(
    api_as, rep_a, rep_b, marketer, deal_a
):
    assert api_as(rep_a).delete(f"/deals/{deal_a.pk}").status_code == 403
    assert api_as(marketer).delete(f"/deals/{deal_a.pk}").status_code == 403
    assert api_as(rep_b).delete(f"/deals/{deal_a.pk}").status_code == 404
    assert api_as(rep_a).delete("/deals/999999").status_code == 404
    assert Deal.objects.filter(pk=deal_a.pk).exists()


@pytest.mark.django_db
def test_won_deal_is_not_deleted(api_as, rep_a, admin_user, deal_a):
    from revline.sales.services import deal_close_won

    deal_close_won(actor=rep_a, deal=deal_a, reason=None, note="Signed")
    response = api_as(admin_user).delete(f"/deals/{deal_a.pk}")
    assert response.status_code == 422
    assert error_fields(response) == ["deal"]
    assert Deal.objects.filter(pk=deal_a.pk).exists()


@pytest.mark.django_db
def test_next_step_is_set_through_patch(api_as, rep_a, deal_a):
    response = api_as(rep_a).patch(f"/deals/{deal_a.pk}", {"next_step": "Send the contract"})
    assert response.status_code == 200
    assert response.json()["next_step"] == "Send the contract"
    too_long = api_as(rep_a).patch(f"/deals/{deal_a.pk}", {"next_step": "x" * 201})
    assert (too_long.status_code, error_fields(too_long)) == (422, ["next_step"])
    deal_a.refresh_from_db()
    assert deal_a.next_step == "Send the contract"
