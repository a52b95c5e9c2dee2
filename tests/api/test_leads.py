"""The hand-off over the JSON API: hand-offs, contact scores and lifecycle, scoring rules and
predictive model runs."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.campaigns.models import Campaign
from revline.core.models import Role
from revline.leads.handoff_services import handoffs_check_breaches, routing_rule_create
from revline.leads.models import (
    EngagementRule,
    FitRule,
    Handoff,
    LifecycleTransition,
    ModelStatus,
    PredictiveModel,
    TransitionCause,
)
from revline.leads.predictive_services import predictive_train
from revline.leads.qualification_services import contact_qualify
from revline.leads.scoring_services import (
    engagement_rule_create,
    fit_rule_create,
    fit_scores_recompute_all,
)
from revline.people.models import Contact
from revline.people.services import contact_create
from revline.sales.models import Deal
from revline.tracking.services import RequestInfo, touchpoint_record

from ..conftest import make_user
from ..leads.predictive_helpers import NOW as HISTORY_NOW
from ..leads.predictive_helpers import history_build
from .conftest import error_fields

pytestmark = pytest.mark.django_db

# A Monday, 10:00 in Berlin (the default business calendar: Mon-Fri 9-17 Europe/Berlin)
MONDAY = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
SLA_DUE = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # 4 business hours later


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def team_a_rule(admin_user, rep_a):
    return routing_rule_create(
        actor=admin_user, name="Team A", method="round_robin", team=rep_a.team
    )


def qualify(email: str, *, at: datetime = MONDAY, reason: str = "Asked for pricing") -> Handoff:
    first, last = email.split("@")[0].split(".")
    contact = Contact.objects.create(
        email=email, first_name=first.title(), last_name=last.title(), lifecycle_stage="lead"
    )
    found = contact_qualify(contact=contact, cause=TransitionCause.PERSON, reason=reason, now=at)
    assert found is not None
    return found


@pytest.fixture
def handoff(frozen, team_a_rule) -> Handoff:
    """An open hand-off of Ada Lovelace, routed to rep_a (team A) on Monday at 10:00."""
    return qualify("ada.lovelace@example.com")


def state(handoff: Handoff) -> tuple:
    handoff.refresh_from_db()
    return (
        handoff.status,
        handoff.assigned_to_id,
        handoff.decided_by_id,
        handoff.reject_reason,
        handoff.deal_id,
    )


# --- list and detail ----------------------------------------------------------------------------


def test_the_rep_lists_their_handoffs_with_the_sla_clock(api_as, handoff, rep_a):
    # When
    response = api_as(rep_a).get("/handoffs")
    # Then
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (1, 50, 0)
    assert body["items"] == [
        {
            "id": handoff.pk,
            "contact": {
                "id": handoff.contact_id,
                "name": "Ada Lovelace",
                "email": "ada.lovelace@example.com",
                "company": "",
                "lifecycle_stage": "mql",
                "fit_score": 0,
                "engagement_score": 0,
            },
            "status": "open",
            "qualified_at": "2025-06-02T08:00:00Z",
            "qualified_by": "person",
            "qualification_reason": "Asked for pricing",
            "assigned_to": {"id": rep_a.pk, "name": "Rep_A", "email": "rep_a@example.com"},
            "routed_to_fallback": False,
            "due_at": "2025-06-02T12:00:00Z",
            "sla": {"seconds_left": 14400, "overdue": False, "label": "4 h left"},
            "first_touch_at": None,
            "response": "",
            "breached_at": None,
            "decided_at": None,
            "decided_by": None,
            "reject_reason": "",
            "reject_note": "",
            "deal_id": None,
        }
    ]


def test_a_rep_of_another_team_sees_nothing_and_gets_404(api_as, handoff, rep_b):
    api = api_as(rep_b)
    # When / Then: the list is empty and the hand-off does not exist for them
    assert api.get("/handoffs").json()["items"] == []
    assert api.get(f"/handoffs/{handoff.pk}").status_code == 404
    refused = api.post(f"/handoffs/{handoff.pk}/accept", {})
    assert refused.status_code == 404
    assert api.post(f"/handoffs/{handoff.pk}/reject", {"reason": "not_a_fit"}).status_code == 404
    # and nothing changed
    assert state(handoff) == ("open", handoff.assigned_to_id, None, "", None)


def test_managers_see_their_team_and_marketers_see_all(
    api_as, handoff, frozen, manager_a, marketer, rep_b, team_b, admin_user
):
    # Given: a hand-off of team B, an hour later
    routing_rule_create(actor=admin_user, name="Team B", method="round_robin", team=team_b)
    team_a_rule_off = handoff.routing_rule
    team_a_rule_off.is_active = False
    team_a_rule_off.save()
    later = qualify("bob.builder@example.com", at=MONDAY + timedelta(hours=1))
    assert later.assigned_to == rep_b
    # When / Then
    assert [i["id"] for i in api_as(manager_a).get("/handoffs").json()["items"]] == [handoff.pk]
    assert [i["id"] for i in api_as(marketer).get("/handoffs").json()["items"]] == [
        later.pk,
        handoff.pk,
    ]
    assert [i["id"] for i in api_as(rep_b).get("/handoffs").json()["items"]] == [later.pk]


def test_filters_and_pages(api_as, handoff, frozen, marketer, rep_a):
    # Given: a second hand-off of rep_a, accepted, and the first one past its deadline
    second = qualify("bob.builder@example.com", at=MONDAY + timedelta(minutes=5))
    api_as(rep_a).post(f"/handoffs/{second.pk}/accept", {})
    assert handoffs_check_breaches(now=SLA_DUE + timedelta(minutes=1), email=False) == 1
    api = api_as(marketer)

    def ids(params):
        response = api.get("/handoffs", params)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    # When / Then
    assert ids({}) == [second.pk, handoff.pk]
    assert ids({"status": "open"}) == [handoff.pk]
    assert ids({"status": "accepted"}) == [second.pk]
    assert ids({"breached": "true"}) == [handoff.pk]
    assert ids({"breached": "false"}) == [second.pk]
    assert ids({"assigned_to": rep_a.pk}) == [second.pk, handoff.pk]
    assert ids({"assigned_to": marketer.pk}) == []
    page = api.get("/handoffs", {"limit": 1, "offset": 1}).json()
    assert ([i["id"] for i in page["items"]], page["total"]) == ([handoff.pk], 2)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"breached": "maybe"}, "breached"),
        ({"assigned_to": "rep"}, "assigned_to"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_list_parameters_are_422_naming_them(api_as, marketer, params, field):
    response = api_as(marketer).get("/handoffs", params)
    assert response.status_code == 422
    assert error_fields(response) == [field]


def test_the_handoff_page_says_why_it_qualified_and_how_it_was_routed(
    api_as, frozen, team_a_rule, marketer, rep_a
):
    # Given: a contact with a fit point and an engagement touch before qualifying
    fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=20
    )
    engagement_rule_create(
        actor=marketer,
        name="Pricing",
        touchpoint_kind="page_view",
        url_pattern="/pricing",
        points=15,
    )
    contact = contact_create(
        actor=None, first_name="Ada", last_name="Lovelace", email="ada@example.com", title="VP"
    )
    touchpoint_record(
        kind="page_view",
        visitor=None,
        contact=contact,
        info=RequestInfo(url="https://acme.test/pricing"),
        occurred_at=MONDAY - timedelta(hours=1),
    )
    contact.refresh_from_db()
    handoff = contact_qualify(contact=contact, cause=TransitionCause.FORM, reason="Contact sales")
    assert handoff is not None
    # When
    response = api_as(rep_a).get(f"/handoffs/{handoff.pk}")
    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["qualification_reason"] == "Contact sales"
    assert body["qualified_by"] == "form"
    assert body["explanation"] == {
        "fit_score": 20,
        "engagement_score": 15,
        "score_lines": [
            {
                "kind": "fit",
                "points": 20,
                "reason": "Job title contains 'VP' (+20)",
                "at": "2025-06-02T08:00:00Z",
            },
            {
                "kind": "engagement",
                "points": 15,
                "reason": "+15 visited /pricing",
                "at": "2025-06-02T07:00:00Z",
            },
        ],
        "touches": [
            {
                "kind": "page_view",
                "label": "Page view",
                "url": "https://acme.test/pricing",
                "campaign": "",
                "at": "2025-06-02T07:00:00Z",
            }
        ],
    }
    assert body["routing"] == {
        "rule_id": team_a_rule.pk,
        "rule_name": "Team A",
        "method": "round_robin",
        "fallback": False,
        "note": handoff.routing_note,
    }
    assert (body["can_decide"], body["can_reassign"]) == (True, False)
    assert (body["campaign_id"], body["campaign_name"], body["escalated_to"]) == (None, "", None)


# --- accept, reject, reassign -------------------------------------------------------------------


def test_the_rep_accepts_and_opens_a_deal(api_as, handoff, rep_a):
    # When
    response = api_as(rep_a).post(
        f"/handoffs/{handoff.pk}/accept",
        {"create_deal": True, "deal_name": "Ada's rollout", "amount": "500"},
    )
    # Then
    assert response.status_code == 200
    deal = Deal.objects.get()
    body = response.json()
    assert (body["status"], body["deal_id"], body["decided_by"]["id"]) == (
        "accepted",
        deal.pk,
        rep_a.pk,
    )
    assert (body["decided_at"], body["first_touch_at"], body["sla"]) == (
        "2025-06-02T08:00:00Z",
        "2025-06-02T08:00:00Z",
        None,
    )
    assert (deal.name, deal.amount, deal.owner) == ("Ada's rollout", Decimal("500.00"), rep_a)
    assert Contact.objects.get().lifecycle_stage == "opportunity"


def test_accepting_without_a_deal_makes_an_sal(api_as, handoff, rep_a):
    response = api_as(rep_a).post(f"/handoffs/{handoff.pk}/accept", {})
    assert (response.status_code, response.json()["deal_id"]) == (200, None)
    assert Contact.objects.get().lifecycle_stage == "sal"
    assert Deal.objects.count() == 0


def test_deciding_twice_is_409_with_the_reason_and_changes_nothing(api_as, handoff, rep_a):
    api = api_as(rep_a)
    api.post(f"/handoffs/{handoff.pk}/accept", {})
    # When
    again = api.post(f"/handoffs/{handoff.pk}/accept", {"create_deal": True})
    rejected = api.post(f"/handoffs/{handoff.pk}/reject", {"reason": "not_a_fit"})
    # Then
    assert again.status_code == 409
    assert again.json() == {"detail": "This hand-off was already accepted by Rep_A on 02 Jun 2025."}
    assert rejected.status_code == 409
    assert state(handoff) == ("accepted", rep_a.pk, rep_a.pk, "", None)
    assert Deal.objects.count() == 0
    assert Contact.objects.get().lifecycle_stage == "sal"


def test_a_marketer_sees_it_but_may_not_decide(api_as, handoff, marketer, rep_a):
    api = api_as(marketer)
    assert api.get(f"/handoffs/{handoff.pk}").json()["can_decide"] is False
    response = api.post(f"/handoffs/{handoff.pk}/accept", {})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the assigned rep, their sales manager or an admin can decide this hand-off."
    }
    assert state(handoff) == ("open", rep_a.pk, None, "", None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "many"}, "amount"),
        ({"deal_name": "x" * 201}, "deal_name"),
        ({"create_deal": "perhaps"}, "create_deal"),
        ({"status": "accepted"}, "status"),
    ],
)
def test_a_bad_accept_is_422_and_changes_nothing(api_as, handoff, rep_a, body, field):
    response = api_as(rep_a).post(f"/handoffs/{handoff.pk}/accept", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert state(handoff) == ("open", rep_a.pk, None, "", None)


def test_the_rep_rejects_with_a_reason_and_the_contact_is_recycled(api_as, handoff, rep_a):
    # When
    response = api_as(rep_a).post(
        f"/handoffs/{handoff.pk}/reject", {"reason": "wrong_contact", "note": "Ask the CFO"}
    )
    # Then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["reject_reason"], body["reject_note"]) == (
        "rejected",
        "wrong_contact",
        "Ask the CFO",
    )
    contact = Contact.objects.get()
    assert contact.lifecycle_stage == "recycled"
    assert LifecycleTransition.objects.filter(contact=contact).first().reason == (
        "Rejected by sales: Wrong contact: Ask the CFO"
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"reason": "other"}, "note", "Say in a few words why, when the reason is “Other”."),
        ({"reason": "too_expensive"}, "reason", None),
        ({}, "reason", None),
        ({"reason": "other", "note": "x" * 501}, "note", None),
    ],
)
def test_a_bad_reject_is_422_with_the_reason_and_changes_nothing(
    api_as, handoff, rep_a, body, field, message
):
    response = api_as(rep_a).post(f"/handoffs/{handoff.pk}/reject", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    if message:
        assert response.json()["detail"][0]["msg"] == message
    assert state(handoff) == ("open", rep_a.pk, None, "", None)
    assert Contact.objects.get().lifecycle_stage == "mql"


def test_the_manager_reassigns_within_the_team(api_as, handoff, manager_a, rep_a, team_a):
    # Given: another rep in team A
    rep_c = make_user("rep_c", Role.SALES_REP, team_a)
    # When
    response = api_as(manager_a).post(f"/handoffs/{handoff.pk}/reassign", {"user_id": rep_c.pk})
    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["assigned_to"]["id"] == rep_c.pk
    assert body["routing"]["note"] == "Reassigned to Rep_C by Manager_A"
    assert body["due_at"] == "2025-06-02T12:00:00Z"
    assert Contact.objects.get().owner == rep_c


def test_reassigning_is_refused_to_reps_and_outside_the_team(
    api_as, handoff, manager_a, rep_a, rep_b
):
    # A rep may not reassign, even their own
    refused = api_as(rep_a).post(f"/handoffs/{handoff.pk}/reassign", {"user_id": rep_a.pk})
    assert refused.status_code == 403
    # A manager may not give it to another team, an unknown user, or the current assignee
    api = api_as(manager_a)
    for user_id, message in [
        (rep_b.pk, "Pick an active sales rep of your team."),
        (99999, "There is no user with id 99999."),
        (rep_a.pk, "Rep_A already has this hand-off."),
    ]:
        response = api.post(f"/handoffs/{handoff.pk}/reassign", {"user_id": user_id})
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {"loc": ["body", "user_id"], "msg": message, "type": "value_error"}
        ]
    assert state(handoff) == ("open", rep_a.pk, None, "", None)


def test_reassigning_a_decided_handoff_is_409(api_as, handoff, manager_a, rep_a, team_a):
    rep_c = make_user("rep_c", Role.SALES_REP, team_a)
    api_as(rep_a).post(f"/handoffs/{handoff.pk}/accept", {})
    response = api_as(manager_a).post(f"/handoffs/{handoff.pk}/reassign", {"user_id": rep_c.pk})
    assert response.status_code == 409
    assert state(handoff)[1] == rep_a.pk


# --- contacts: score and lifecycle --------------------------------------------------------------


def test_contact_score_explains_fit_and_engagement(api_as, frozen, marketer, rep_a):
    # Given: a fit rule, an engagement rule and a touch a half-life (30 days) ago
    contact = contact_create(actor=None, email="ana@acme.example", title="VP Sales")
    fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=10
    )
    engagement_rule_create(
        actor=marketer,
        name="Pricing",
        touchpoint_kind="page_view",
        url_pattern="/pricing",
        points=16,
    )
    fit_scores_recompute_all(now=MONDAY - timedelta(days=30))
    touchpoint_record(
        kind="page_view",
        visitor=None,
        contact=contact,
        info=RequestInfo(url="https://acme.test/pricing"),
        occurred_at=MONDAY - timedelta(days=30),
    )
    # When
    response = api_as(rep_a).get(f"/contacts/{contact.pk}/score")
    # Then: the engagement points are worth half now
    assert response.status_code == 200
    body = response.json()
    changes = body.pop("changes")
    assert body == {
        "contact_id": contact.pk,
        "fit": 10,
        "engagement": 8,
        "engagement_stored": 8,
        "total": 18,
        "half_life_days": 30,
        "change_count": 2,
        "prediction": {
            "model_id": None,
            "probability": None,
            "tier": "",
            "live_probability": None,
            "factors": [],
            "is_customer": False,
            "error": "",
        },
    }
    assert [
        (c["kind"], c["points"], c["worth_now"], c["reason"], c["score_after"]) for c in changes
    ] == [
        ("engagement", 16, 8, "+16 visited /pricing", 26),
        ("fit", 10, None, "Job title contains 'VP' (+10)", 10),
    ]


def test_contact_score_names_the_factors_of_the_model(api_as, marketer, rep_a):
    # Given: a trained model on a history where VPs who viewed pricing became customers
    with time_machine.travel(HISTORY_NOW, tick=False):
        groups = history_build()
        run = PredictiveModel.objects.create(requested_at=HISTORY_NOW)
        predictive_train(model_id=run.pk)
        vp = groups["vps"][0]
        # When
        response = api_as(rep_a).get(f"/contacts/{vp.pk}/score")
    # Then
    assert response.status_code == 200
    prediction = response.json()["prediction"]
    vp.refresh_from_db()
    assert (prediction["model_id"], prediction["tier"], prediction["probability"]) == (
        run.pk,
        "A",
        vp.predicted_probability,
    )
    labels = {f["label"]: f["up"] for f in prediction["factors"]}
    assert labels["Title: VP"] is True
    assert labels["Viewed /pricing 3 times"] is True
    assert len(prediction["factors"]) == 5


def test_unknown_contacts_are_404(api_as, marketer):
    api = api_as(marketer)
    assert api.get("/contacts/99999/score").status_code == 404
    assert api.get("/contacts/99999/lifecycle").status_code == 404
    assert api.post("/contacts/99999/recycle", {"reason": "not_now"}).status_code == 404


def test_contact_lifecycle_lists_every_transition_newest_first(api_as, handoff, rep_a):
    api_as(rep_a).post(f"/handoffs/{handoff.pk}/accept", {})
    response = api_as(rep_a).get(f"/contacts/{handoff.contact_id}/lifecycle")
    assert response.status_code == 200
    body = response.json()
    assert (body["contact_id"], body["stage"], body["changed_at"]) == (
        handoff.contact_id,
        "sal",
        "2025-06-02T08:00:00Z",
    )
    assert [
        (t["from_stage"], t["to_stage"], t["cause"], t["actor"] and t["actor"]["id"], t["reason"])
        for t in body["transitions"]
    ] == [
        ("mql", "sal", "person", rep_a.pk, "Accepted by Rep_A"),
        ("lead", "mql", "person", None, "Asked for pricing"),
    ]


def test_a_marketer_recycles_a_contact_and_its_handoff_closes(api_as, handoff, marketer):
    # When
    response = api_as(marketer).post(
        f"/contacts/{handoff.contact_id}/recycle", {"reason": "not_now", "note": "Next year"}
    )
    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == "recycled"
    assert (body["transitions"][0]["to_stage"], body["transitions"][0]["reason"]) == (
        "recycled",
        "Not now (timing): Next year",
    )
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reject_reason) == ("rejected", "not_now")
    # and recycling again is a conflict that changes nothing
    again = api_as(marketer).post(f"/contacts/{handoff.contact_id}/recycle", {"reason": "not_now"})
    assert again.status_code == 409
    assert again.json() == {"detail": "This contact is already recycled."}
    assert LifecycleTransition.objects.filter(to_stage="recycled").count() == 1


def test_disqualifying_a_customer_is_409(api_as, marketer):
    contact = Contact.objects.create(email="c@example.com", lifecycle_stage="customer")
    response = api_as(marketer).post(f"/contacts/{contact.pk}/disqualify", {"reason": "not_a_fit"})
    assert response.status_code == 409
    assert response.json() == {"detail": "A customer cannot be recycled or disqualified."}
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"


def test_a_rep_who_does_not_own_the_contact_may_not_disqualify(api_as, handoff, rep_b):
    response = api_as(rep_b).post(
        f"/contacts/{handoff.contact_id}/disqualify", {"reason": "not_a_fit"}
    )
    assert response.status_code == 403
    assert Contact.objects.get().lifecycle_stage == "mql"
    assert state(handoff)[0] == "open"


def test_the_owner_disqualifies_with_a_reason(api_as, handoff, rep_a):
    bad = api_as(rep_a).post(f"/contacts/{handoff.contact_id}/disqualify", {"reason": "other"})
    assert bad.status_code == 422
    assert error_fields(bad) == ["note"]
    assert Contact.objects.get().lifecycle_stage == "mql"
    response = api_as(rep_a).post(
        f"/contacts/{handoff.contact_id}/disqualify", {"reason": "duplicate"}
    )
    assert (response.status_code, response.json()["stage"]) == (200, "disqualified")


# --- the contact resource carries the scores, read-only -----------------------------------------


def test_contacts_show_their_scores(api_as, rep_a):
    contact = contact_create(actor=None, email="ana@acme.example")
    Contact.objects.filter(pk=contact.pk).update(
        fit_score=12, engagement_score=30, predicted_probability=0.42, predicted_tier="B"
    )
    body = api_as(rep_a).get(f"/contacts/{contact.pk}").json()
    assert (
        body["fit_score"],
        body["engagement_score"],
        body["predicted_probability"],
        body["predicted_tier"],
    ) == (12, 30, 0.42, "B")


@pytest.mark.parametrize(
    "field",
    ["fit_score", "engagement_score", "predicted_probability", "predicted_tier"],
)
def test_scores_cannot_be_written_through_the_contact(api_as, marketer, field):
    contact = contact_create(actor=None, email="ana@acme.example")
    value = "A" if field == "predicted_tier" else 50
    api = api_as(marketer)
    created = api.post("/contacts", {"email": "bob@acme.example", field: value})
    assert created.status_code == 422
    assert error_fields(created) == [field]
    patched = api.patch(f"/contacts/{contact.pk}", {field: value})
    assert patched.status_code == 422
    assert error_fields(patched) == [field]
    contact.refresh_from_db()
    assert (contact.fit_score, contact.engagement_score) == (0, 0)
    assert (contact.predicted_probability, contact.predicted_tier) == (None, "")
    assert Contact.objects.count() == 1


# --- scoring rules ------------------------------------------------------------------------------


def test_everyone_signed_in_reads_the_rules(api_as, marketer, rep_a):
    fit = fit_rule_create(
        actor=marketer,
        field="company.industry",
        operator="in_list",
        value="Software, SaaS",
        points=10,
    )
    campaign = Campaign.objects.create(name="Spring launch")
    engagement = engagement_rule_create(
        actor=marketer,
        name="Webinar",
        touchpoint_kind="event_attendance",
        points=25,
        campaign=campaign,
        max_per_period=1,
        period_days=30,
    )
    response = api_as(rep_a).get("/scoring/rules")
    assert response.status_code == 200
    assert response.json() == {
        "half_life_days": 30,
        "fit": [
            {
                "id": fit.pk,
                "field": "company.industry",
                "operator": "in_list",
                "value": "Software, SaaS",
                "points": 10,
                "is_active": True,
                "position": 1,
                "label": "Industry is one of 'Software, SaaS'",
            }
        ],
        "engagement": [
            {
                "id": engagement.pk,
                "name": "Webinar",
                "touchpoint_kind": "event_attendance",
                "url_pattern": "",
                "campaign": {"id": campaign.pk, "name": "Spring launch"},
                "points": 25,
                "max_per_period": 1,
                "period_days": 30,
                "is_active": True,
                "position": 1,
                "hits_30_days": 0,
            }
        ],
    }


def test_a_marketer_adds_changes_and_deletes_a_fit_rule(api_as, marketer):
    api = api_as(marketer)
    created = api.post(
        "/scoring/fit-rules",
        {"field": "contact.title", "operator": "matches", "value": " VP|Head ", "points": 15},
    )
    assert created.status_code == 201
    rule = FitRule.objects.get()
    assert (created.json()["id"], created.json()["value"]) == (rule.pk, "VP|Head")
    # Only the fields sent change
    patched = api.patch(f"/scoring/fit-rules/{rule.pk}", {"points": 5, "is_active": False})
    assert patched.status_code == 200
    rule.refresh_from_db()
    assert (rule.field, rule.operator, rule.value, rule.points, rule.is_active) == (
        "contact.title",
        "matches",
        "VP|Head",
        5,
        False,
    )
    assert api.delete(f"/scoring/fit-rules/{rule.pk}").status_code == 204
    assert FitRule.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"field": "contact.title", "operator": "matches", "value": "(VP", "points": 5},
            "value",
            "Not a valid regular expression: missing ), unterminated subpattern at position 0.",
        ),
        (
            {"field": "contact.title", "operator": "matches", "value": "(a+)+", "points": 5},
            "value",
            "Nested repetition such as (a+)+ can make matching hang; simplify the pattern.",
        ),
        (
            {"field": "contact.title", "operator": "equals", "value": "CEO", "points": 500},
            "points",
            "Points must be between -100 and 100.",
        ),
        (
            {"field": "contact.title", "operator": "is_set", "value": "", "points": 0},
            "points",
            "A rule worth 0 points changes nothing; give it points.",
        ),
        (
            {"field": "contact.title", "operator": "equals", "value": " ", "points": 5},
            "value",
            "Give the value to compare with.",
        ),
        ({"field": "contact.age", "operator": "equals", "value": "3", "points": 5}, "field", None),
    ],
)
def test_a_malformed_fit_rule_is_422_with_the_reason(api_as, marketer, body, field, message):
    response = api_as(marketer).post("/scoring/fit-rules", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    if message:
        assert response.json()["detail"][0]["msg"] == message
    assert FitRule.objects.count() == 0


def test_a_bad_patch_changes_nothing(api_as, marketer):
    rule = fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=10
    )
    api = api_as(marketer)
    assert error_fields(api.patch(f"/scoring/fit-rules/{rule.pk}", {"points": None})) == ["points"]
    response = api.patch(f"/scoring/fit-rules/{rule.pk}", {"operator": "matches", "value": "["})
    assert (response.status_code, error_fields(response)) == (422, ["value"])
    rule.refresh_from_db()
    assert (rule.operator, rule.value, rule.points) == ("contains", "VP", 10)
    assert api.patch("/scoring/fit-rules/99999", {"points": 3}).status_code == 404


def test_only_admins_and_marketers_write_rules(api_as, marketer, rep_a, manager_a):
    fit = fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=10
    )
    engagement = engagement_rule_create(
        actor=marketer, name="Pricing", touchpoint_kind="page_view", points=5
    )
    for user in (rep_a, manager_a):
        api = api_as(user)
        for response in (
            api.post(
                "/scoring/fit-rules",
                {"field": "contact.title", "operator": "is_set", "points": 5},
            ),
            api.patch(f"/scoring/fit-rules/{fit.pk}", {"points": 50}),
            api.delete(f"/scoring/fit-rules/{fit.pk}"),
            api.post(
                "/scoring/engagement-rules",
                {"name": "Any", "touchpoint_kind": "email_open", "points": 1},
            ),
            api.patch(f"/scoring/engagement-rules/{engagement.pk}", {"points": 50}),
            api.delete(f"/scoring/engagement-rules/{engagement.pk}"),
        ):
            assert response.status_code == 403
            assert response.json() == {
                "detail": "Only admins and marketers can change lead scoring."
            }
    assert list(FitRule.objects.values_list("points", flat=True)) == [10]
    assert list(EngagementRule.objects.values_list("points", flat=True)) == [5]


def test_a_marketer_adds_changes_and_deletes_an_engagement_rule(api_as, marketer):
    campaign = Campaign.objects.create(name="Spring launch")
    api = api_as(marketer)
    created = api.post(
        "/scoring/engagement-rules",
        {
            "name": "Pricing page",
            "touchpoint_kind": "page_view",
            "url_pattern": "/pricing",
            "points": 15,
            "max_per_period": 1,
            "period_days": 7,
            "campaign_id": campaign.pk,
        },
    )
    assert created.status_code == 201
    rule = EngagementRule.objects.get()
    assert created.json()["campaign"] == {"id": campaign.pk, "name": "Spring launch"}
    # null clears the campaign and the limit; the rest stays
    patched = api.patch(
        f"/scoring/engagement-rules/{rule.pk}", {"campaign_id": None, "max_per_period": None}
    )
    assert patched.status_code == 200
    rule.refresh_from_db()
    assert (rule.name, rule.url_pattern, rule.campaign, rule.max_per_period, rule.period_days) == (
        "Pricing page",
        "/pricing",
        None,
        None,
        7,
    )
    assert api.delete(f"/scoring/engagement-rules/{rule.pk}").status_code == 204
    assert EngagementRule.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url_pattern": "*pricing"}, "url_pattern", None),
        ({"touchpoint_kind": "fax"}, "touchpoint_kind", None),
        ({"campaign_id": 99999}, "campaign_id", "There is no campaign with id 99999."),
        ({"period_days": 400}, "period_days", "The period is 1 to 365 days."),
        ({"max_per_period": 0}, "max_per_period", "At least 1, or leave it empty for no limit."),
        ({"name": " "}, "name", None),
    ],
)
def test_a_malformed_engagement_rule_is_422_with_the_reason(api_as, marketer, body, field, message):
    data = {"name": "Pricing", "touchpoint_kind": "page_view", "points": 5, **body}
    response = api_as(marketer).post("/scoring/engagement-rules", data)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    if message:
        assert response.json()["detail"][0]["msg"] == message
    assert EngagementRule.objects.count() == 0


# --- predictive model runs ----------------------------------------------------------------------


def test_model_runs_newest_first_with_their_summary(api_as, marketer):
    older = PredictiveModel.objects.create(
        requested_at=MONDAY - timedelta(days=7),
        status=ModelStatus.REFUSED,
        message="Only 2 contacts became a customer within the horizon; at least 5 are needed.",
        report={"sizes": {"examples": 40, "positives": 2}},
        finished_at=MONDAY - timedelta(days=7),
    )
    ready = PredictiveModel.objects.create(
        requested_at=MONDAY,
        requested_by=marketer,
        status=ModelStatus.READY,
        algorithm="logistic_regression",
        auc=0.81,
        report={
            "chosen": "logistic_regression",
            "candidates": [
                {"algorithm": "logistic_regression", "label": "Logistic regression", "auc": 0.81},
                {"algorithm": "gradient_boosting", "label": "Gradient boosting", "auc": 0.79},
            ],
            "sizes": {"examples": 400, "positives": 60, "train": 300, "test": 100},
            "base_rate": 0.15,
            "warnings": ["The held-out set has only 9 conversions."],
        },
    )
    response = api_as(marketer).get("/predictive/models")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    first, second = body["items"]
    assert first == {
        "id": ready.pk,
        "status": "ready",
        "requested_at": "2025-06-02T08:00:00Z",
        "requested_by": {"id": marketer.pk, "name": "Marketer", "email": "marketer@example.com"},
        "finished_at": None,
        "horizon_days": 90,
        "algorithm": "logistic_regression",
        "auc": 0.81,
        "message": "",
        "candidates": [
            {"algorithm": "logistic_regression", "label": "Logistic regression", "auc": 0.81},
            {"algorithm": "gradient_boosting", "label": "Gradient boosting", "auc": 0.79},
        ],
        "sizes": {"examples": 400, "positives": 60, "train": 300, "test": 100},
        "base_rate": 0.15,
        "warnings": ["The held-out set has only 9 conversions."],
    }
    assert (second["id"], second["status"], second["candidates"], second["sizes"]) == (
        older.pk,
        "refused",
        [],
        {"examples": 40, "positives": 2},
    )


def test_reps_and_managers_do_not_see_model_runs(api_as, rep_a, manager_a):
    assert api_as(rep_a).get("/predictive/models").status_code == 403
    assert api_as(manager_a).get("/predictive/models").status_code == 403


def test_a_marketer_queues_a_retrain_once_at_a_time(api_as, frozen, marketer):
    api = api_as(marketer)
    # When
    response = api.post("/predictive/models")
    # Then: the run is queued (it trains after the commit, in the background)
    assert response.status_code == 202
    run = PredictiveModel.objects.get()
    assert (response.json()["id"], response.json()["status"], run.requested_by) == (
        run.pk,
        "queued",
        marketer,
    )
    # and a second request while it is queued is a conflict
    again = api.post("/predictive/models")
    assert again.status_code == 409
    assert again.json() == {
        "detail": "A training run is already queued (requested Jun 02, 08:00 UTC); wait for it "
        "to finish."
    }
    assert PredictiveModel.objects.count() == 1


def test_reps_may_not_retrain(api_as, rep_a):
    response = api_as(rep_a).post("/predictive/models")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only admins and marketers retrain the model."}
    assert PredictiveModel.objects.count() == 0


def test_the_list_reads_a_fixed_number_of_queries(
    api_as, handoff, frozen, marketer, django_assert_max_num_queries
):
    # Given: three hand-offs
    for name in ("bob.builder", "cy.twombly"):
        qualify(f"{name}@example.com")
    api = api_as(marketer)
    with CaptureQueriesContext(connection) as one_page:
        assert len(api.get("/handoffs", {"limit": 1}).json()["items"]) == 1
    # When / Then: three rows cost no more queries than one
    with django_assert_max_num_queries(len(one_page)):
        assert len(api.get("/handoffs").json()["items"]) == 3
