"""The lead queue, the hand-off page and its actions, the contact panel, and the settings pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from revline.content.models import Form
from revline.core.models import Role
from revline.leads.handoff_services import routing_rule_create
from revline.leads.models import Handoff, RoutingRule, TransitionCause
from revline.leads.qualification_services import contact_qualify
from revline.leads.selectors import lead_settings_get
from revline.people.models import Contact
from revline.sales.models import Deal

from ..conftest import PASSWORD, make_user


@pytest.fixture
def handoff(admin_user, rep_a) -> Handoff:
    routing_rule_create(actor=admin_user, name="Team A", method="round_robin", team=rep_a.team)
    contact = Contact.objects.create(
        email="ada@example.com", first_name="Ada", last_name="Lovelace", lifecycle_stage="lead"
    )
    found = contact_qualify(
        contact=contact, cause=TransitionCause.PERSON, reason="Asked for pricing"
    )
    assert found is not None
    return found


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_the_rep_sees_their_lead_in_the_queue_with_the_time_left(client, handoff, rep_a):
    response = login(client, rep_a).get(reverse("leads:queue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ada Lovelace" in body and "Asked for pricing" in body
    row = response.context["rows"][0]
    assert row.handoff == handoff and row.sla is not None
    assert row.sla.label.endswith("left") or row.sla.label.startswith("Overdue")


def test_other_teams_do_not_see_it_and_get_404_on_the_page(client, handoff, rep_b):
    login(client, rep_b)
    assert list(client.get(reverse("leads:queue")).context["rows"]) == []
    assert client.get(reverse("leads:handoff", args=[handoff.pk])).status_code == 404
    response = client.post(reverse("leads:handoff_accept", args=[handoff.pk]), {})
    assert response.status_code == 404
    handoff.refresh_from_db()
    assert handoff.status == "open"


def test_managers_see_their_team_and_filter_by_rep(client, handoff, manager_a, rep_a, team_b):
    login(client, manager_a)
    assert [r.handoff for r in client.get(reverse("leads:queue")).context["rows"]] == [handoff]
    other = make_user("rep_z", Role.SALES_REP, team_b)
    rows = client.get(reverse("leads:queue"), {"rep": rep_a.pk}).context["rows"]
    assert [r.handoff for r in rows] == [handoff]
    # Someone outside the team is not a valid filter value: the filter is ignored
    response = client.get(reverse("leads:queue"), {"rep": other.pk})
    assert [r.handoff for r in response.context["rows"]] == [handoff]


def test_tabs_and_search(client, handoff, marketer):
    login(client, marketer)
    assert client.get(reverse("leads:queue"), {"status": "accepted"}).context["rows"] == []
    assert client.get(reverse("leads:queue"), {"q": "nobody"}).context["rows"] == []
    assert len(client.get(reverse("leads:queue"), {"q": "lovelace"}).context["rows"]) == 1
    assert client.get(reverse("leads:queue"), {"status": "bogus"}).status_code == 200


def test_accept_with_a_deal_opens_the_deal_page(client, handoff, rep_a):
    login(client, rep_a)
    response = client.post(
        reverse("leads:handoff_accept", args=[handoff.pk]),
        {"create_deal": "on", "deal_name": "Ada's rollout", "amount": "500"},
    )
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal", args=[deal.pk])
    handoff.refresh_from_db()
    assert (handoff.status, handoff.deal, deal.name) == ("accepted", deal, "Ada's rollout")


def test_deciding_twice_through_the_page_is_refused_with_a_message(client, handoff, rep_a):
    login(client, rep_a)
    client.post(reverse("leads:handoff_accept", args=[handoff.pk]), {})
    response = client.post(
        reverse("leads:handoff_reject", args=[handoff.pk]), {"reason": "not_a_fit"}
    )
    assert response.status_code == 409
    assert "This hand-off was already accepted by Rep_A" in response.content.decode()
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reject_reason) == ("accepted", "")


def test_reject_needs_a_reason_and_then_goes_back_to_the_queue(client, handoff, rep_a):
    login(client, rep_a)
    url = reverse("leads:handoff_reject", args=[handoff.pk])
    refused = client.post(url, {"reason": "other", "note": ""})
    assert refused.status_code == 400
    assert "Say in a few words why" in refused.content.decode()
    assert Handoff.objects.get().status == "open"
    response = client.post(url, {"reason": "wrong_contact", "note": "Ask for the CFO"})
    assert (response.status_code, response["Location"]) == (302, reverse("leads:queue"))
    assert Contact.objects.get().lifecycle_stage == "recycled"


def test_decisions_are_post_only(client, handoff, rep_a):
    login(client, rep_a)
    assert client.get(reverse("leads:handoff_accept", args=[handoff.pk])).status_code == 405
    assert Handoff.objects.get().status == "open"


def test_a_manager_reassigns_from_the_page(client, handoff, manager_a, rep_a):
    rep_c = make_user("rep_c", Role.SALES_REP, rep_a.team)
    login(client, manager_a)
    page = client.get(reverse("leads:handoff", args=[handoff.pk]))
    assert 'id="reassign"' in page.content.decode()
    response = client.post(
        reverse("leads:handoff_reassign", args=[handoff.pk]), {"assignee": rep_c.pk}
    )
    assert response.status_code == 302
    assert Handoff.objects.get().assigned_to == rep_c


def test_the_contact_panel_shows_the_status_and_the_rejection_reason(client, handoff, rep_a):
    login(client, rep_a)
    client.post(
        reverse("leads:handoff_reject", args=[handoff.pk]),
        {"reason": "no_budget", "note": "Next year"},
    )
    response = client.get(reverse("leads:contact_handoff_panel", args=[handoff.contact_id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "No budget" in body and "Next year" in body and "Rejected" in body
    assert client.get(reverse("leads:contact_handoff_panel", args=[99999])).status_code == 404


def test_recycle_from_the_panel_returns_to_a_safe_next_only(client, handoff, marketer):
    login(client, marketer)
    url = reverse("leads:contact_recycle", args=[handoff.contact_id])
    response = client.post(
        url, {"move-reason": "not_now", "move-note": "", "move-next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("people:contact", args=[handoff.contact_id])
    assert Contact.objects.get().lifecycle_stage == "recycled"
    response = client.post(
        reverse("leads:contact_disqualify", args=[handoff.contact_id]),
        {"move-reason": "not_a_fit", "move-next": "/leads/queue/"},
    )
    assert response["Location"] == "/leads/queue/"
    assert Contact.objects.get().lifecycle_stage == "disqualified"


def test_a_rep_without_the_contact_cannot_recycle_it(client, handoff, rep_b):
    login(client, rep_b)
    response = client.post(
        reverse("leads:contact_recycle", args=[handoff.contact_id]), {"move-reason": "not_now"}
    )
    assert response.status_code == 403
    assert Contact.objects.get().lifecycle_stage == "mql"


# ---- settings pages ----------------------------------------------------------------------------


def test_routing_pages_are_for_admins_and_marketers_managers_only_look(
    client, marketer, manager_a, rep_a
):
    login(client, rep_a)
    assert client.get(reverse("leads:routing")).status_code == 403
    login(client, manager_a)
    assert client.get(reverse("leads:routing")).status_code == 200
    assert client.get(reverse("leads:routing_create")).status_code == 403
    assert client.get(reverse("leads:lead_settings")).status_code == 200
    assert client.post(reverse("leads:lead_settings"), {}).status_code == 403
    login(client, marketer)
    response = client.post(
        reverse("leads:routing_create"),
        {"name": "DACH", "method": "territory", "countries": "DE, Austria", "user": rep_a.pk,
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Use 2-letter country codes" in response.content.decode()
    assert not RoutingRule.objects.exists()
    response = client.post(
        reverse("leads:routing_create"),
        {"name": "DACH", "method": "territory", "countries": "de, at", "user": rep_a.pk,
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert RoutingRule.objects.get().countries == "DE, AT"


def test_an_inactive_rep_cannot_be_picked_for_a_rule(client, marketer, rep_a):
    rep_a.is_active = False
    rep_a.save()
    login(client, marketer)
    response = client.post(
        reverse("leads:routing_create"),
        {"name": "X", "method": "territory", "countries": "DE", "user": rep_a.pk},
    )
    assert response.status_code == 400
    assert not RoutingRule.objects.exists()


def test_rules_are_reordered_and_deleted(client, marketer, rep_a):
    first = routing_rule_create(actor=marketer, name="One", method="company_owner")
    second = routing_rule_create(actor=marketer, name="Two", method="round_robin", team=rep_a.team)
    login(client, marketer)
    client.post(reverse("leads:routing_move", args=[second.pk]), {"direction": "up"})
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Two", "One"]
    client.post(reverse("leads:routing_delete", args=[first.pk]))
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Two"]


def settings_post(**changes):
    data = {
        "mql_fit_min": "20",
        "mql_engagement_min": "40",
        "mql_on_meeting_booked": "on",
        "sla_hours": "4",
        "business_days": ["0", "1", "2", "3", "4"],
        "business_day_start": "09:00",
        "business_day_end": "17:00",
        "business_timezone": "Europe/Berlin",
        "notify_by_email": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"business_timezone": "Mars/Olympus"}, "Unknown timezone"),
        ({"business_day_end": "08:00"}, "The business day must end after it starts."),
        ({"business_days": []}, "This field is required."),
        ({"sla_hours": "0"}, "Ensure this value is greater than or equal to 1."),
    ],
)
def test_bad_lead_settings_are_refused(client, marketer, changes, message):
    login(client, marketer)
    response = client.post(reverse("leads:lead_settings"), settings_post(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert lead_settings_get().business_timezone == "Europe/Berlin"
    assert lead_settings_get().sla_hours == 4


def test_lead_settings_are_saved(client, marketer, rep_a):
    form = Form.objects.create(name="Contact sales", embed_key="k1")
    login(client, marketer)
    response = client.post(
        reverse("leads:lead_settings"),
        settings_post(
            mql_fit_min="",
            sla_hours="8",
            business_days=["0", "2"],
            business_timezone="America/New_York",
            fallback_owner=str(rep_a.pk),
            hand_raiser_forms=[str(form.pk)],
        ),
    )
    assert response.status_code == 302
    saved = lead_settings_get()
    assert (saved.mql_fit_min, saved.sla_hours, saved.business_days) == (None, 8, "0,2")
    assert (saved.business_timezone, saved.fallback_owner) == ("America/New_York", rep_a)
    assert list(saved.hand_raiser_forms.all()) == [form]
    assert saved.engagement_half_life_days == 30  # the scoring page's setting is untouched


def test_an_inactive_fallback_owner_is_refused(client, marketer, rep_a):
    rep_a.is_active = False
    rep_a.save()
    login(client, marketer)
    response = client.post(
        reverse("leads:lead_settings"), settings_post(fallback_owner=str(rep_a.pk))
    )
    assert response.status_code == 400
    assert lead_settings_get().fallback_owner is None


def test_queue_shows_overdue_badges(client, handoff, rep_a):
    Handoff.objects.filter(pk=handoff.pk).update(due_at=timezone.now() - timedelta(days=3))
    body = login(client, rep_a).get(reverse("leads:queue")).content.decode()
    assert "Overdue by" in body
