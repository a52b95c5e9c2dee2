"""The scoring settings page (admins and marketers only), the score panels of contacts and
companies, and scoring through the public collect endpoint."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from revline.core.workspace import workspace_update
from revline.leads import scoring_services as svc
from revline.leads.models import EngagementRule, FitRule, ScoreChange
from revline.leads.selectors import lead_settings_get
from revline.people.services import company_create, contact_create
from revline.tracking.models import Touchpoint, Visitor
from revline.tracking.services import RequestInfo, touchpoint_record
from tests.conftest import PASSWORD

ORIGIN = "https://www.acme.example"
PAGE = f"{ORIGIN}/pricing"

FIT_POST = {"field": "contact.title", "operator": "contains", "value": "VP", "points": "15",
            "is_active": "on"}  # fmt: skip
ENGAGEMENT_POST = {"name": "Pricing page", "touchpoint_kind": "page_view",
                   "url_pattern": "/pricing", "points": "15", "max_per_period": "3",
                   "period_days": "7", "is_active": "on"}  # fmt: skip


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- Permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rep_a", "manager_a"])
def test_sales_people_get_403_on_the_settings(client, request, name):
    user = request.getfixturevalue(name)
    login(client, user)
    rule = FitRule.objects.create(field="contact.title", operator="is_set", points=5)

    assert client.get(reverse("leads:scoring")).status_code == 403
    assert client.post(reverse("leads:fit_rule_create"), FIT_POST).status_code == 403
    assert client.post(reverse("leads:engagement_rule_create"), ENGAGEMENT_POST).status_code == 403
    assert client.get(reverse("leads:fit_rule_edit", args=[rule.pk])).status_code == 403
    response = client.post(reverse("leads:fit_rule_change", args=[rule.pk]), {"action": "delete"})
    assert response.status_code == 403
    response = client.post(reverse("leads:scoring_settings"), {"engagement_half_life_days": "7"})
    assert response.status_code == 403
    assert FitRule.objects.count() == 1
    assert EngagementRule.objects.count() == 0
    assert lead_settings_get().engagement_half_life_days == 30


def test_the_service_refuses_a_rep_too(rep_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        svc.fit_rule_create(actor=rep_a, field="contact.title", operator="is_set", value="",
                            points=5)  # fmt: skip
    assert FitRule.objects.count() == 0


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("leads:scoring"))
    assert response.status_code == 302
    assert "/login" in response["Location"]


# --- Settings page ----------------------------------------------------------------------------


def test_a_marketer_sees_the_rules(client, marketer):
    svc.fit_rule_create(actor=marketer, field="contact.title", operator="contains", value="VP",
                        points=15)  # fmt: skip
    svc.engagement_rule_create(actor=marketer, name="Pricing <b>page</b>",
                               touchpoint_kind="page_view", url_pattern="/pricing", points=15,
                               max_per_period=3, period_days=7)  # fmt: skip
    login(client, marketer)

    page = client.get(reverse("leads:scoring")).content.decode()

    assert "Job title contains &#x27;VP&#x27;" in page
    assert "Pricing &lt;b&gt;page&lt;/b&gt;" in page
    assert "3× per 7 days" in page


def test_adding_rules_through_the_page(client, admin_user):
    login(client, admin_user)

    response = client.post(reverse("leads:fit_rule_create"), FIT_POST)
    assert response.status_code == 302
    response = client.post(reverse("leads:engagement_rule_create"), ENGAGEMENT_POST)
    assert response.status_code == 302

    assert list(FitRule.objects.values_list("field", "operator", "value", "points")) == [
        ("contact.title", "contains", "VP", 15)
    ]
    rule = EngagementRule.objects.get()
    assert (rule.url_pattern, rule.max_per_period, rule.period_days) == ("/pricing", 3, 7)


@pytest.mark.parametrize(
    ("url_name", "data", "message"),
    [
        ("leads:engagement_rule_create", {**ENGAGEMENT_POST, "url_pattern": "[pricing"},
         "Not a valid regular expression"),
        ("leads:engagement_rule_create", {**ENGAGEMENT_POST, "url_pattern": "x" * 301},
         "The pattern is longer than 300 characters."),
        ("leads:engagement_rule_create", {**ENGAGEMENT_POST, "period_days": "0"},
         "The period is 1 to 365 days."),
        ("leads:engagement_rule_create", {**ENGAGEMENT_POST, "points": "150"},
         "Points must be between -100 and 100."),
        ("leads:fit_rule_create", {**FIT_POST, "value": ""}, "Give the value to compare with."),
        ("leads:fit_rule_create", {**FIT_POST, "operator": "matches", "value": "(a"},
         "Not a valid regular expression"),
        ("leads:fit_rule_create", {**FIT_POST, "points": "-101"},
         "Points must be between -100 and 100."),
    ],
)  # fmt: skip
def test_a_malformed_rule_is_refused_with_a_form_error(client, marketer, url_name, data, message):
    login(client, marketer)

    response = client.post(reverse(url_name), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert FitRule.objects.count() == 0
    assert EngagementRule.objects.count() == 0


def test_editing_reordering_and_deleting_rules(client, marketer):
    login(client, marketer)
    first = svc.fit_rule_create(actor=marketer, field="contact.title", operator="contains",
                                value="VP", points=15)  # fmt: skip
    second = svc.fit_rule_create(actor=marketer, field="contact.country", operator="equals",
                                 value="DE", points=5)  # fmt: skip

    response = client.post(reverse("leads:fit_rule_edit", args=[first.pk]),
                           {**FIT_POST, "value": "Head", "points": "20"})  # fmt: skip
    assert response.status_code == 302
    client.post(reverse("leads:fit_rule_change", args=[second.pk]), {"action": "up"})
    assert list(FitRule.objects.values_list("pk", "value", "points")) == [
        (second.pk, "DE", 5),
        (first.pk, "Head", 20),
    ]
    client.post(reverse("leads:fit_rule_change", args=[second.pk]), {"action": "delete"})
    assert list(FitRule.objects.values_list("pk", flat=True)) == [first.pk]
    bad = client.post(reverse("leads:fit_rule_change", args=[first.pk]), {"action": "explode"})
    assert bad.status_code == 400
    assert client.get(reverse("leads:fit_rule_edit", args=[999])).status_code == 404


def test_the_half_life_is_set_on_the_page_and_refused_when_out_of_range(client, marketer):
    login(client, marketer)

    bad = client.post(reverse("leads:scoring_settings"), {"engagement_half_life_days": "0"})
    assert bad.status_code == 400
    assert lead_settings_get().engagement_half_life_days == 30

    client.post(reverse("leads:scoring_settings"), {"engagement_half_life_days": ""})
    assert lead_settings_get().engagement_half_life_days is None


def test_a_settings_change_is_a_post_only(client, marketer):
    login(client, marketer)
    rule = FitRule.objects.create(field="contact.title", operator="is_set", points=5)

    assert client.get(reverse("leads:fit_rule_change", args=[rule.pk])).status_code == 405
    assert FitRule.objects.count() == 1


# --- Panels ------------------------------------------------------------------------------------


def test_the_contact_panel_explains_the_score_with_decay(client, rep_a, marketer):
    svc.engagement_rule_create(actor=marketer, name="Pricing", touchpoint_kind="page_view",
                               url_pattern="/pricing", points=15)  # fmt: skip
    svc.fit_rule_create(actor=marketer, field="contact.title", operator="contains", value="VP",
                        points=10)  # fmt: skip
    contact = contact_create(actor=None, email="ana@acme.example", title="VP")
    seen = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    touchpoint_record(kind="page_view", visitor=None, contact=contact,
                      info=RequestInfo(url=PAGE), occurred_at=seen)  # fmt: skip
    login(client, rep_a)

    with time_machine.travel(seen + timedelta(days=22), tick=False):
        response = client.get(reverse("leads:contact_score_panel", args=[contact.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    # 15 points halve every 30 days: 15 * 0.5 ** (22 / 30) = 9.03
    assert '+15 visited /pricing on 3 Nov 2026 <span class="muted">(now worth 9)</span>' in page
    assert "Job title contains &#x27;VP&#x27; (+10)" in page
    assert 'data-score="engagement">9<' in page
    assert 'data-score="fit">10<' in page
    assert 'data-score="total">19<' in page
    assert "2 changes." in page


def test_the_contact_panel_shows_the_newest_50_with_a_count(client, rep_a, marketer):
    svc.engagement_rule_create(actor=marketer, name="Views", touchpoint_kind="page_view",
                               points=1)  # fmt: skip
    contact = contact_create(actor=None, email="ana@acme.example")
    now = timezone.now()
    for minutes in range(55):
        touchpoint_record(kind="page_view", visitor=None, contact=contact,
                          info=RequestInfo(url=f"{ORIGIN}/p{minutes}"),
                          occurred_at=now - timedelta(minutes=minutes))  # fmt: skip
    login(client, rep_a)

    page = client.get(reverse("leads:contact_score_panel", args=[contact.pk])).content.decode()

    assert page.count('<li class="engagement">') == 50
    assert "The newest 50 of 55 changes." in page
    assert page.index("visited /p0 ") < page.index("visited /p1 ")
    assert "visited /p54 " not in page


def test_panels_404_for_unknown_ids(client, rep_a):
    login(client, rep_a)

    assert client.get(reverse("leads:contact_score_panel", args=[999])).status_code == 404
    assert client.get(reverse("leads:company_score_panel", args=[999])).status_code == 404


def test_the_company_panel_shows_the_roll_up_and_its_contacts(client, rep_a, marketer):
    svc.fit_rule_create(actor=marketer, field="contact.title", operator="contains", value="VP",
                        points=15)  # fmt: skip
    svc.engagement_rule_create(actor=marketer, name="Pricing", touchpoint_kind="page_view",
                               points=10)  # fmt: skip
    settings = lead_settings_get()
    settings.engagement_half_life_days = None
    settings.save()
    acme = company_create(actor=None, name="Acme")
    ana = contact_create(actor=None, email="ana@acme.example", title="VP", company=acme)
    bob = contact_create(actor=None, email="bob@acme.example", company=acme)
    touchpoint_record(kind="page_view", visitor=None, contact=bob, info=RequestInfo(url=PAGE))
    login(client, rep_a)

    page = client.get(reverse("leads:company_score_panel", args=[acme.pk])).content.decode()

    assert 'data-score="total">25<' in page
    assert 'data-score="fit">15<' in page
    assert 'data-score="engagement">10<' in page
    assert page.index(str(bob)) < page.index(str(ana))


# --- The public collect endpoint ----------------------------------------------------------------


@pytest.fixture
def site(admin_user):
    return workspace_update(actor=admin_user, site_origins=ORIGIN, tracking_requires_consent=False)


def collect(client, visitor_id, *kinds):
    events = [
        {"id": str(uuid.uuid4()), "type": kind, "ts": int(timezone.now().timestamp() * 1000),
         "url": PAGE, "label": "Book a demo"}
        for kind in kinds
    ]  # fmt: skip
    body = json.dumps({"visitor_id": str(visitor_id), "events": events})
    return client.post("/t/collect", data=body, content_type="application/json",
                       headers={"Origin": ORIGIN})  # fmt: skip


def test_a_page_view_of_an_identified_visitor_scores_through_collect(client, site, marketer):
    svc.engagement_rule_create(actor=marketer, name="Pricing", touchpoint_kind="page_view",
                               url_pattern="/pricing", points=15)  # fmt: skip
    contact = contact_create(actor=None, email="ana@acme.example")
    now = timezone.now()
    visitor = Visitor.objects.create(contact=contact, first_seen_at=now, last_seen_at=now)

    response = collect(client, visitor.pk, "page_view", "cta_click")

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.engagement_score == 15
    change = ScoreChange.objects.get()
    assert (change.reason, change.touchpoint) == (
        "+15 visited /pricing",
        Touchpoint.objects.get(kind="page_view"),
    )


def test_an_anonymous_batch_costs_no_scoring_query(client, site, marketer):
    svc.engagement_rule_create(actor=marketer, name="Pricing", touchpoint_kind="page_view",
                               points=15)  # fmt: skip
    collect(client, uuid.uuid4(), "page_view")  # the rules are now in process memory
    visitor = uuid.uuid4()

    with CaptureQueriesContext(connection) as queries:
        assert collect(client, visitor, "page_view").status_code == 200

    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "leads_" not in sql
    assert ScoreChange.objects.count() == 0
