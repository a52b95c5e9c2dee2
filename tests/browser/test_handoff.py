"""The hand-off in a real browser: a visitor's touches make them an MQL routed to a rep, who
sees them in the queue with the SLA timer, accepts and creates a deal."""

import re

import pytest
from playwright.sync_api import Page, expect

from revline.campaigns.models import Campaign, Channel
from revline.content.models import LandingPage
from revline.leads.handoff_services import routing_rule_create
from revline.leads.models import Handoff, ScoreChange
from revline.leads.scoring_services import engagement_rule_create
from revline.leads.selectors import lead_settings_get
from revline.people.models import Contact
from revline.sales.models import Deal

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser

CONSENT = "Email me about Revline news and offers."
EMAIL = "grace@hopper.example"


def test_touches_make_an_mql_that_the_rep_accepts_into_a_deal(
    page: Page, live_server, log_in, rep_a, marketer, dialogs, page_errors
):
    # Given a pricing landing page, an engagement rule worth 30 points for viewing it and 15
    # for submitting a form, MQL at engagement 40 (no fit threshold), and team A's round-robin
    campaign = Campaign.objects.create(
        name="Pricing push", channel=Channel.PAID_SEARCH, utm_campaign="pricing"
    )
    LandingPage.objects.create(
        slug="pricing",
        title="Pricing",
        headline="Plans and pricing",
        campaign=campaign,
        consent_wording=CONSENT,
    )
    engagement_rule_create(
        actor=marketer,
        name="Viewed pricing",
        touchpoint_kind="page_view",
        url_pattern="/pricing",
        points=30,
    )
    engagement_rule_create(
        actor=marketer, name="Submitted a form", touchpoint_kind="form_submission", points=15
    )
    settings = lead_settings_get()
    settings.mql_fit_min = None
    settings.mql_engagement_min = 40
    settings.save()
    routing_rule_create(actor=marketer, name="Team A", method="round_robin", team=rep_a.team)

    # When a visitor views the pricing page and asks to be contacted
    page.goto("/lp/pricing")
    expect(page.get_by_role("heading", name="Plans and pricing")).to_be_visible()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Work email").fill(EMAIL)
    page.get_by_role("button", name="Get in touch").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    # Then their score passed the threshold: an MQL handed to rep_a
    contact = Contact.objects.get(email=EMAIL)
    assert (contact.engagement_score, contact.lifecycle_stage, contact.owner) == (45, "mql", rep_a)
    assert sorted(ScoreChange.objects.filter(contact=contact).values_list("points", flat=True)) == [
        15,
        30,
    ]
    handoff = Handoff.objects.get(contact=contact)
    assert handoff.qualification_reason == "Engagement 45 ≥ 40"

    # When rep_a signs in and opens the lead queue
    log_in("rep_a", PASSWORD)
    page.goto("/leads/queue/")
    row = page.locator("#queue-table tbody tr", has_text="Grace Hopper")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Engagement 45 ≥ 40")
    expect(row.locator(".badge.sla")).to_have_text(re.compile(r"^\d+ (h|min)( \d+ min)? left$"))

    # And opens the hand-off: it explains why, with the touches that led to it
    row.get_by_role("link", name="Grace Hopper").click()
    expect(page.locator(".score-lines li").last).to_have_text(
        re.compile(r"^\+30 visited /lp/pricing engagement")
    )
    expect(page.locator("#touches")).to_contain_text("Page view")
    expect(page.locator("#routing-info")).to_contain_text("Team A")

    # When they accept and create a deal
    accept = page.locator("#accept-form")
    expect(accept.get_by_label("Create a deal")).to_be_checked()
    accept.get_by_label("Deal name").fill("Grace: compiler rollout")
    accept.get_by_label("Amount").fill("2400")
    accept.get_by_role("button", name="Accept").click()

    # Then the deal page opens
    expect(page).to_have_url(re.compile(r"/sales/deals/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("Grace: compiler rollout"))).to_be_visible()
    deal = Deal.objects.get()
    handoff.refresh_from_db()
    contact.refresh_from_db()
    assert (handoff.status, handoff.deal, deal.owner) == ("accepted", deal, rep_a)
    assert contact.lifecycle_stage == "opportunity"
    assert dialogs == [] and page_errors == []
