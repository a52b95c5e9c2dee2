"""Routing rules, lead settings and single scoring rules over the JSON API: the same rules as
the Leads → Routing and Lead settings pages."""

from datetime import time

import pytest

from revline.audit.models import AuditAction, AuditEntry
from revline.content.builder_services import form_create
from revline.content.models import Form
from revline.core.models import Role, User
from revline.leads.handoff_services import routing_rule_create
from revline.leads.models import RoutingRule
from revline.leads.scoring_services import engagement_rule_create, fit_rule_create
from revline.leads.selectors import lead_settings_get

from ..conftest import make_user
from .conftest import error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(admin_user, rep_a, team_a):
    """Three rules in order: DACH (territory → rep_a), Software (industry → team A), Owner."""
    return [
        routing_rule_create(
            actor=admin_user, name="DACH", method="territory", countries="de, at", user=rep_a
        ),
        routing_rule_create(
            actor=admin_user,
            name="Software",
            method="industry",
            industries="Software",
            team=team_a,
        ),
        routing_rule_create(actor=admin_user, name="Owner", method="company_owner"),
    ]


def _names(response) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


# --- routing rules: list and read ---------------------------------------------------------------


def test_list_routing_rules_in_order_with_filters_and_sort(api_as, manager_a, rules):
    api = api_as(manager_a)

    response = api.get("/routing-rules")

    assert response.status_code == 200
    body = response.json()
    assert (body["total"], _names(response)) == (3, ["DACH", "Software", "Owner"])
    first = body["items"][0]
    assert first["countries"] == "DE, AT"
    assert first["user"]["id"] == rules[0].user_id
    assert (first["team"], first["position"], first["method"]) == (None, 0, "territory")
    assert body["items"][1]["team"]["name"] == "Team A"
    assert _names(api.get("/routing-rules", {"sort": "-name"})) == ["Software", "Owner", "DACH"]
    assert _names(api.get("/routing-rules", {"method": "industry"})) == ["Software"]
    assert _names(api.get("/routing-rules", {"q": "own"})) == ["Owner"]
    assert _names(api.get("/routing-rules", {"limit": 1, "offset": 1})) == ["Software"]


def test_list_routing_rules_refuses_reps_and_bad_filters(api_as, rep_a, marketer, rules):
    assert api_as(rep_a).get("/routing-rules").status_code == 403
    assert api_as(rep_a).get(f"/routing-rules/{rules[0].pk}").status_code == 403
    response = api_as(marketer).get("/routing-rules", {"sort": "user"})
    assert (response.status_code, error_fields(response)) == (422, ["sort"])
    response = api_as(marketer).get("/routing-rules", {"method": "random"})
    assert (response.status_code, error_fields(response)) == (422, ["method"])


def test_get_routing_rule(api_as, marketer, rules):
    response = api_as(marketer).get(f"/routing-rules/{rules[1].pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "Software"
    assert response.json()["industries"] == "Software"
    assert api_as(marketer).get("/routing-rules/99999").status_code == 404


# --- routing rules: create, update, delete, move ------------------------------------------------


def test_create_routing_rule_appends_it_and_audits(api_as, marketer, rules, team_b):
    response = api_as(marketer).post(
        "/routing-rules",
        {"name": " Team B pool ", "method": "round_robin", "team_id": team_b.pk},
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["position"], body["team"]["id"]) == ("Team B pool", 3, team_b.pk)
    assert (body["user"], body["is_active"]) == (None, True)
    rule = RoutingRule.objects.get(pk=body["id"])
    entry = AuditEntry.objects.get(object_type="leads.routingrule", object_id=str(rule.pk))
    assert (entry.action, entry.actor_id) == (AuditAction.CREATE, marketer.pk)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "method": "territory", "user_id": "ADMIN"}, "countries"),
        (
            {"name": "X", "method": "territory", "countries": "Germany", "user_id": "ADMIN"},
            "countries",
        ),
        ({"name": "X", "method": "round_robin"}, "team_id"),
        ({"name": "X", "method": "industry", "industries": "Software"}, "user_id"),
        ({"name": "X", "method": "company_owner", "user_id": 99999}, "user_id"),
        ({"name": "X", "method": "company_owner", "team_id": 99999}, "team_id"),
        ({"name": "  ", "method": "company_owner"}, "name"),
        ({"name": "X", "method": "telepathy"}, "method"),
        ({"name": "X", "method": "company_owner", "position": 0}, "position"),
    ],
)
def test_create_routing_rule_refuses_bad_input(api_as, admin_user, body, field):
    # A real user id: on PostgreSQL ids do not restart at 1 in each test.
    body = {key: admin_user.pk if value == "ADMIN" else value for key, value in body.items()}
    response = api_as(admin_user).post("/routing-rules", body)

    assert (response.status_code, error_fields(response)) == (422, [field])
    assert RoutingRule.objects.count() == 0


def test_create_routing_rule_refuses_an_inactive_rep(api_as, admin_user, rep_a):
    User.objects.filter(pk=rep_a.pk).update(is_active=False)
    response = api_as(admin_user).post(
        "/routing-rules",
        {"name": "DE", "method": "territory", "countries": "DE", "user_id": rep_a.pk},
    )
    assert (response.status_code, error_fields(response)) == (422, ["user_id"])
    assert RoutingRule.objects.count() == 0


def test_only_admins_and_marketers_change_routing_rules(api_as, manager_a, rep_a, rules):
    for user in (manager_a, rep_a):
        api = api_as(user)
        assert (
            api.post("/routing-rules", {"name": "X", "method": "company_owner"}).status_code == 403
        )
        assert api.patch(f"/routing-rules/{rules[0].pk}", {"name": "Y"}).status_code == 403
        assert api.delete(f"/routing-rules/{rules[0].pk}").status_code == 403
        assert (
            api.post(f"/routing-rules/{rules[1].pk}/move", {"direction": "up"}).status_code == 403
        )
    assert list(RoutingRule.objects.values_list("name", "position")) == [
        ("DACH", 0),
        ("Software", 1),
        ("Owner", 2),
    ]


def test_patch_routing_rule_changes_only_what_is_sent(api_as, marketer, rules, team_b):
    response = api_as(marketer).patch(
        f"/routing-rules/{rules[0].pk}", {"countries": "ch", "team_id": team_b.pk}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["countries"], body["team"]["id"]) == ("DACH", "CH", team_b.pk)
    assert body["user"]["id"] == rules[0].user_id
    entry = AuditEntry.objects.get(object_id=str(rules[0].pk), action=AuditAction.UPDATE)
    assert entry.changes["countries"] == ["DE, AT", "CH"]


def test_patch_routing_rule_checks_the_merged_rule(api_as, marketer, rules):
    api = api_as(marketer)
    # Clearing the only target of a territory rule leaves it with nobody to assign to.
    response = api.patch(f"/routing-rules/{rules[0].pk}", {"user_id": None})
    assert (response.status_code, error_fields(response)) == (422, ["user_id"])
    response = api.patch(f"/routing-rules/{rules[0].pk}", {"name": None})
    assert (response.status_code, error_fields(response)) == (422, ["name"])
    rules[0].refresh_from_db()
    assert (rules[0].name, rules[0].user_id) == ("DACH", rules[0].user_id)
    assert rules[0].user_id is not None
    assert api.patch("/routing-rules/99999", {"name": "Y"}).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


def test_delete_routing_rule(api_as, marketer, rules):
    api = api_as(marketer)

    response = api.delete(f"/routing-rules/{rules[1].pk}")

    assert response.status_code == 204
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["DACH", "Owner"]
    entry = AuditEntry.objects.get(object_id=str(rules[1].pk), action=AuditAction.DELETE)
    assert entry.object_label == "Software"
    assert api.delete(f"/routing-rules/{rules[1].pk}").status_code == 404


def test_move_routing_rule(api_as, marketer, rules):
    api = api_as(marketer)

    response = api.post(f"/routing-rules/{rules[2].pk}/move", {"direction": "up"})

    assert response.status_code == 200
    assert [r["name"] for r in response.json()] == ["DACH", "Owner", "Software"]
    assert [r["position"] for r in response.json()] == [0, 1, 2]
    # The first rule cannot go further up: nothing changes.
    response = api.post(f"/routing-rules/{rules[0].pk}/move", {"direction": "up"})
    assert [r["name"] for r in response.json()] == ["DACH", "Owner", "Software"]
    response = api.post(f"/routing-rules/{rules[0].pk}/move", {"direction": "left"})
    assert (response.status_code, error_fields(response)) == (422, ["direction"])
    assert api.post("/routing-rules/99999/move", {"direction": "up"}).status_code == 404
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE).count() == 2


# --- lead settings ------------------------------------------------------------------------------


def test_get_lead_settings(api_as, manager_a):
    response = api_as(manager_a).get("/lead-settings")

    assert response.status_code == 200
    assert response.json() | {"updated_at": None} == {
        "mql_fit_min": 20,
        "mql_engagement_min": 40,
        "mql_on_meeting_booked": True,
        "hand_raiser_forms": [],
        "sla_hours": 4,
        "business_days": [0, 1, 2, 3, 4],
        "business_day_start": "09:00",
        "business_day_end": "17:00",
        "business_timezone": "Europe/Berlin",
        "fallback_owner": None,
        "notify_by_email": True,
        "updated_at": None,
        "can_edit": False,
    }


def test_reps_may_not_see_lead_settings(api_as, rep_a):
    assert api_as(rep_a).get("/lead-settings").status_code == 403


def test_patch_lead_settings(api_as, marketer, manager_a):
    form = form_create(actor=marketer, form=Form(name="Contact sales"))

    response = api_as(marketer).patch(
        "/lead-settings",
        {
            "mql_fit_min": None,
            "sla_hours": 8,
            "business_days": [4, 0, 0, 2],
            "business_day_start": "08:30",
            "business_timezone": "America/New_York",
            "fallback_owner_id": manager_a.pk,
            "hand_raiser_form_ids": [form.pk],
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["mql_fit_min"], body["mql_engagement_min"], body["sla_hours"]) == (None, 40, 8)
    assert body["business_days"] == [0, 2, 4]
    assert body["business_day_start"] == "08:30"
    assert body["fallback_owner"]["id"] == manager_a.pk
    assert body["hand_raiser_forms"] == [{"id": form.pk, "name": "Contact sales"}]
    assert body["can_edit"] is True
    stored = lead_settings_get()
    assert (stored.business_days, stored.business_timezone) == ("0,2,4", "America/New_York")
    entry = AuditEntry.objects.get(object_type="leads.leadsettings")
    assert entry.action == AuditAction.SETTING_CHANGE
    assert entry.changes["sla_hours"] == [4, 8]
    assert entry.changes["hand_raiser_forms"] == [[], [form.pk]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sla_hours": 0}, "sla_hours"),
        ({"sla_hours": 10**30}, "sla_hours"),
        ({"business_days": []}, "business_days"),
        ({"business_days": [7]}, "0"),
        ({"business_day_start": "18:00"}, "business_day_end"),
        ({"business_day_start": "08:00+02:00"}, "business_day_start"),
        ({"business_day_end": "24:00"}, "business_day_end"),
        ({"business_timezone": "Mars/Olympus"}, "business_timezone"),
        ({"business_timezone": "../../etc/passwd"}, "business_timezone"),
        ({"fallback_owner_id": 99999}, "fallback_owner_id"),
        ({"hand_raiser_form_ids": [99999]}, "hand_raiser_form_ids"),
        ({"mql_fit_min": 10**9}, "mql_fit_min"),
        ({"sla_hours": None}, "sla_hours"),
        ({"engagement_half_life_days": 3}, "engagement_half_life_days"),
    ],
)
def test_patch_lead_settings_refuses_bad_input(api_as, admin_user, body, field):
    response = api_as(admin_user).patch("/lead-settings", body)

    assert (response.status_code, error_fields(response)) == (422, [field])
    stored = lead_settings_get()
    assert (stored.sla_hours, stored.business_days, stored.business_day_start) == (
        4,
        "0,1,2,3,4",
        time(9, 0),
    )
    assert (stored.business_timezone, stored.fallback_owner_id) == ("Europe/Berlin", None)
    assert not AuditEntry.objects.filter(object_type="leads.leadsettings").exists()


def test_patch_lead_settings_refuses_an_inactive_fallback_owner(api_as, admin_user):
    leaver = make_user("leaver", Role.SALES_REP)
    User.objects.filter(pk=leaver.pk).update(is_active=False)
    response = api_as(admin_user).patch("/lead-settings", {"fallback_owner_id": leaver.pk})
    assert (response.status_code, error_fields(response)) == (422, ["fallback_owner_id"])
    assert lead_settings_get().fallback_owner_id is None


def test_only_admins_and_marketers_change_lead_settings(api_as, manager_a, rep_a):
    for user in (manager_a, rep_a):
        assert api_as(user).patch("/lead-settings", {"sla_hours": 9}).status_code == 403
    assert lead_settings_get().sla_hours == 4


# --- single scoring rules -----------------------------------------------------------------------


def test_get_fit_rule(api_as, rep_a, marketer):
    rule = fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=10
    )

    response = api_as(rep_a).get(f"/scoring/fit-rules/{rule.pk}")

    assert response.status_code == 200
    assert response.json() | {"label": None} == {
        "id": rule.pk,
        "field": "contact.title",
        "operator": "contains",
        "value": "VP",
        "points": 10,
        "is_active": True,
        "position": rule.position,
        "label": None,
    }
    assert response.json()["label"]
    assert api_as(rep_a).get("/scoring/fit-rules/99999").status_code == 404


def test_get_engagement_rule(api_as, rep_a, marketer):
    rule = engagement_rule_create(
        actor=marketer, name="Pricing", touchpoint_kind="page_view", points=5
    )

    response = api_as(rep_a).get(f"/scoring/engagement-rules/{rule.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["points"], body["hits_30_days"], body["campaign"]) == (
        "Pricing",
        5,
        0,
        None,
    )
    assert api_as(rep_a).get("/scoring/engagement-rules/99999").status_code == 404
