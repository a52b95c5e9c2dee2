"""Routing of new MQLs: rules in order, each method, round-robin fairness, never an inactive
user, and the flagged fallback."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.core.models import Notification, Role
from revline.leads.handoff_services import (
    routing_rule_create,
    routing_rule_move,
    routing_rule_update,
)
from revline.leads.models import Handoff, RoutingMethod, RoutingRule, TransitionCause
from revline.leads.qualification_services import contact_qualify
from revline.leads.routing import LeadFacts, round_robin_pick, rule_matches
from revline.leads.selectors import lead_settings_get
from revline.people.models import Company, Contact

from ..conftest import make_user

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday


def lead(email: str = "ada@example.com", *, country: str = "", company: Company | None = None):
    return Contact.objects.create(
        email=email, first_name="Ada", country=country, company=company, lifecycle_stage="lead"
    )


def qualify(contact: Contact) -> Handoff:
    handoff = contact_qualify(
        contact=contact, cause=TransitionCause.PERSON, reason="Asked for a demo", now=NOW
    )
    assert handoff is not None
    return handoff


# ---- the pure decisions ------------------------------------------------------------------------


def test_territory_matches_the_contact_or_the_company_country():
    assert rule_matches(
        "territory", countries="DE, AT", industries="", lead=LeadFacts(country="at")
    )
    assert rule_matches(
        "territory", countries="de", industries="", lead=LeadFacts(company_country="DE")
    )
    assert not rule_matches("territory", countries="DE", industries="", lead=LeadFacts())


def test_industry_matches_case_insensitively_and_company_owner_needs_an_owner():
    facts = LeadFacts(industry="Software")
    assert rule_matches("industry", countries="", industries="retail, software", lead=facts)
    assert not rule_matches("industry", countries="", industries="Retail", lead=facts)
    assert rule_matches(
        "company_owner", countries="", industries="", lead=LeadFacts(company_owner_id=3)
    )
    assert not rule_matches("company_owner", countries="", industries="", lead=LeadFacts())


def test_round_robin_goes_around_and_skips_inactive_members():
    members = [5, 2, 9]
    assert round_robin_pick(members, None, {2, 5, 9}) == 2
    assert round_robin_pick(members, 2, {2, 5, 9}) == 5
    assert round_robin_pick(members, 9, {2, 5, 9}) == 2
    assert round_robin_pick(members, 2, {2, 9}) == 9  # 5 is inactive
    assert round_robin_pick(members, 7, {2, 5, 9}) == 9  # the pointer left the team
    assert round_robin_pick(members, None, set()) is None


# ---- routing through the service ---------------------------------------------------------------


def test_rules_are_tried_in_order_and_the_first_match_wins(admin_user, rep_a, rep_b):
    # Given an industry rule to rep_b placed after a territory rule to rep_a
    routing_rule_create(
        actor=admin_user, name="DACH", method="territory", countries="DE", user=rep_a
    )
    routing_rule_create(
        actor=admin_user, name="Software", method="industry", industries="Software", user=rep_b
    )
    company = Company.objects.create(name="Acme", industry="Software", country="DE")
    # When a German software lead qualifies
    handoff = qualify(lead(company=company))
    # Then the territory rule (first) wins, and the contact's owner is the rep
    assert (handoff.assigned_to, handoff.routing_rule.name, handoff.routed_to_fallback) == (
        rep_a,
        "DACH",
        False,
    )
    assert Contact.objects.get(pk=handoff.contact_id).owner == rep_a
    # When the industry rule is moved first, the next such lead goes to rep_b
    routing_rule_move(actor=admin_user, rule=RoutingRule.objects.get(name="Software"), up=True)
    second = qualify(lead("bob@example.com", company=company))
    assert (second.assigned_to, second.routing_rule.name) == (rep_b, "Software")


def test_company_owner_rule_assigns_the_companys_owner(admin_user, rep_a, rep_b):
    routing_rule_create(actor=admin_user, name="Owner", method="company_owner")
    routing_rule_create(actor=admin_user, name="Everyone", method="round_robin", team=rep_b.team)
    owned = Company.objects.create(name="Owned", owner=rep_a)
    assert qualify(lead(company=owned)).assigned_to == rep_a
    # A contact without a company owner falls through to the next rule
    assert qualify(lead("x@example.com")).assigned_to == rep_b


def test_an_inactive_company_owner_or_rule_user_is_skipped(admin_user, rep_a, rep_b):
    routing_rule_create(actor=admin_user, name="Owner", method="company_owner")
    routing_rule_create(actor=admin_user, name="DE", method="territory", countries="DE", user=rep_a)
    routing_rule_create(actor=admin_user, name="Everyone", method="round_robin", team=rep_b.team)
    company = Company.objects.create(name="Acme", owner=rep_a, country="DE")
    rep_a.is_active = False
    rep_a.save()
    handoff = qualify(lead(company=company))
    assert (handoff.assigned_to, handoff.routing_rule.name) == (rep_b, "Everyone")


def test_round_robin_is_fair_within_the_team_and_skips_inactive_reps(admin_user, team_a, rep_a):
    rep_c = make_user("rep_c", Role.SALES_REP, team_a)
    rep_d = make_user("rep_d", Role.SALES_REP, team_a)
    make_user("boss", Role.SALES_MANAGER, team_a)  # managers do not take turns
    routing_rule_create(actor=admin_user, name="Team A", method="round_robin", team=team_a)
    got = [qualify(lead(f"p{i}@example.com")).assigned_to for i in range(6)]
    assert got == [rep_a, rep_c, rep_d, rep_a, rep_c, rep_d]
    # When rep_c leaves, the turns go on among the others
    rep_c.is_active = False
    rep_c.save()
    got = [qualify(lead(f"q{i}@example.com")).assigned_to for i in range(3)]
    assert got == [rep_a, rep_d, rep_a]
    assert RoutingRule.objects.get().last_assigned == rep_a


def test_territory_rule_with_a_team_round_robins_in_it(admin_user, team_b, rep_b):
    rep_e = make_user("rep_e", Role.SALES_REP, team_b)
    routing_rule_create(
        actor=admin_user, name="DACH", method="territory", countries="DE,AT", team=team_b
    )
    assert [qualify(lead(f"d{i}@example.com", country="AT")).assigned_to for i in range(2)] == [
        rep_b,
        rep_e,
    ]


def test_no_match_goes_to_the_fallback_owner_and_is_flagged(admin_user, rep_a, manager_a):
    routing_rule_create(actor=admin_user, name="FR", method="territory", countries="FR", user=rep_a)
    settings = lead_settings_get()
    settings.fallback_owner = manager_a
    settings.save()
    handoff = qualify(lead(country="DE"))
    assert (handoff.assigned_to, handoff.routing_rule, handoff.routed_to_fallback) == (
        manager_a,
        None,
        True,
    )
    assert handoff.routing_note == "No routing rule matched: sent to the fallback owner."
    assert Notification.objects.filter(user=manager_a, kind="mql_routed").count() == 1


def test_no_match_and_no_active_fallback_leaves_the_lead_unassigned_and_flagged(
    admin_user, manager_a
):
    settings = lead_settings_get()
    settings.fallback_owner = manager_a
    settings.save()
    manager_a.is_active = False
    manager_a.save()
    handoff = qualify(lead())
    assert (handoff.assigned_to, handoff.routed_to_fallback) == (None, True)
    assert Contact.objects.get(pk=handoff.contact_id).owner is None
    # Admins hear about it; the inactive fallback gets nothing
    assert Notification.objects.filter(user=admin_user, kind="mql_unrouted").count() == 1
    assert not Notification.objects.filter(user=manager_a).exists()


def test_the_rep_is_notified_in_the_app_and_by_email_when_configured(
    admin_user, rep_a, mailoutbox, django_capture_on_commit_callbacks
):
    routing_rule_create(actor=admin_user, name="All", method="round_robin", team=rep_a.team)
    with django_capture_on_commit_callbacks(execute=True):
        handoff = qualify(lead())
    notice = Notification.objects.get(user=rep_a)
    assert (notice.kind, notice.url) == ("mql_routed", f"/leads/handoffs/{handoff.pk}/")
    assert notice.text == "New MQL for you: Ada (Asked for a demo)"
    assert [m.to for m in mailoutbox] == [["rep_a@example.com"]]


def test_no_email_when_notify_by_email_is_off(
    admin_user, rep_a, mailoutbox, django_capture_on_commit_callbacks
):
    settings = lead_settings_get()
    settings.notify_by_email = False
    settings.save()
    routing_rule_create(actor=admin_user, name="All", method="round_robin", team=rep_a.team)
    with django_capture_on_commit_callbacks(execute=True):
        qualify(lead())
    assert Notification.objects.filter(user=rep_a).count() == 1
    assert mailoutbox == []


# ---- rule validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"method": "territory", "countries": ""}, "countries"),
        ({"method": "territory", "countries": "Germany"}, "countries"),
        ({"method": "industry", "industries": " , "}, "industries"),
        ({"method": "round_robin"}, "team"),
        ({"method": "territory", "countries": "DE"}, "user"),
        ({"method": "teleport"}, "method"),
    ],
)
def test_malformed_rules_are_refused(admin_user, values, field):
    with pytest.raises(ValidationError) as refused:
        routing_rule_create(actor=admin_user, name="Bad", **values)
    assert field in refused.value.message_dict
    assert not RoutingRule.objects.exists()


def test_an_inactive_user_is_refused_on_a_rule(admin_user, rep_a):
    rep_a.is_active = False
    rep_a.save()
    with pytest.raises(ValidationError) as refused:
        routing_rule_create(
            actor=admin_user, name="DE", method="territory", countries="DE", user=rep_a
        )
    assert refused.value.message_dict["user"] == [
        "Rep_A is inactive; routing never assigns to inactive users."
    ]


def test_rules_are_normalised_and_only_admins_and_marketers_change_them(
    admin_user, marketer, manager_a, rep_a
):
    rule = routing_rule_create(
        actor=marketer, name=" DACH ", method="territory", countries="de, at ,ch", user=rep_a
    )
    assert (rule.name, rule.countries, rule.position) == ("DACH", "DE, AT, CH", 0)
    with pytest.raises(PermissionDenied):
        routing_rule_update(
            actor=manager_a,
            rule=rule,
            name="X",
            method=RoutingMethod.TERRITORY,
            countries="FR",
            user=rep_a,
        )
    assert RoutingRule.objects.get().name == "DACH"
