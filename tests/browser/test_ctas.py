"""Calls to action in a real browser: book a meeting from an ad, and buy from an ad."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from revline.people.models import Contact
from revline.quotes.models import Order
from revline.sales.booking_selectors import bookable_slots
from revline.sales.models import Deal, Meeting
from revline.tracking.models import Touchpoint

from ..conftest import PASSWORD
from ..quotes.cta_fixtures import (
    booking_creative,
    buy_creative,
    every_day,
    make_campaign,
    make_product,
)

pytestmark = pytest.mark.browser

EMAIL = "ada@analytical.example"


@pytest.fixture(autouse=True)
def _links_point_at_the_live_server(settings, live_server):
    settings.BASE_URL = live_server.url


def test_a_visitor_books_a_meeting_from_an_ad_and_the_rep_sees_it(
    page: Page, live_server, log_in, rep_a, dialogs, page_errors
):
    # Given a rep who takes meetings every day, and an ad whose CTA books a meeting with them
    every_day(rep_a)
    campaign = make_campaign()
    creative = booking_creative(campaign, rep_a, name="Demo ad")
    first_slot = bookable_slots(rep_a)[0]

    # When a visitor clicks the ad
    page.goto(f"/t/c/{creative.link.token}")

    # Then they land on the booking page with the ad's headline and the rep's free times
    expect(page).to_have_url(re.compile(r"/book/\d+\.[\w-]+\?utm_source=linkedin"))
    expect(page.get_by_role("heading", name="See Revline in 30 minutes")).to_be_visible()
    slot_label = (
        f"{first_slot.starts_at:%A, %B} {first_slot.starts_at.day} {first_slot.starts_at:%H:%M}"
    )

    # When they pick the first time, fill in their details and book
    page.get_by_label(slot_label).check()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Work email").fill(EMAIL)
    page.get_by_label("Company").fill("Analytical Engines")
    page.get_by_label("What would you like to talk about?").fill("Attribution for our ads")
    page.get_by_role("button", name="Book meeting").click()

    # Then they see the confirmation with the time and the rep
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(page.locator("#booking-summary")).to_contain_text(
        f"at {first_slot.starts_at:%H:%M}–{first_slot.ends_at:%H:%M} (UTC) with Rep_A."
    )

    # When the rep signs in and opens their deals
    log_in("rep_a", PASSWORD)
    page.get_by_role("link", name="Deals", exact=True).click()

    # Then the new deal is there, and its page shows the meeting activity
    row = page.locator("#deal-table tbody tr", has_text="Analytical Engines: meeting from Demo ad")
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Analytical Engines: meeting from Demo ad").click()
    expect(
        page.get_by_role("heading", name="Analytical Engines: meeting from Demo ad")
    ).to_be_visible()
    activity = page.locator("#activities-panel li", has_text="Meeting with Ada Lovelace")
    expect(activity).to_have_count(1)
    expect(activity).to_contain_text("Booked online via “Demo ad” (campaign “Spring launch”).")
    expect(activity).to_contain_text("Note from Ada Lovelace: Attribution for our ads")

    # And their availability page lists the upcoming meeting
    page.goto("/sales/availability/")
    expect(page.locator("#meetings li", has_text="Ada Lovelace")).to_have_count(1)

    # And the records agree
    meeting = Meeting.objects.get()
    contact = Contact.objects.get()
    assert (meeting.user, meeting.contact, meeting.starts_at) == (
        rep_a,
        contact,
        first_slot.starts_at,
    )
    assert (meeting.deal.owner, meeting.deal.stage.name) == (rep_a, "Qualification")
    kinds = list(
        Touchpoint.objects.filter(contact=contact).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["click", "meeting_booked"]
    assert dialogs == []
    assert page_errors == []


def test_a_visitor_buys_from_an_ad_and_the_marketer_sees_the_revenue(
    page: Page, live_server, log_in, marketer, dialogs, page_errors
):
    # Given an ad whose CTA sells the Starter plan at €49.90
    campaign = make_campaign()
    creative = buy_creative(campaign, make_product(price="49.90"), name="Starter ad")

    # When a visitor clicks the ad
    page.goto(f"/t/c/{creative.link.token}")

    # Then the order page shows the product's price
    expect(page).to_have_url(re.compile(r"/buy/\d+\.[\w-]+\?utm_source=linkedin"))
    expect(page.locator("#unit-price")).to_have_text("€49.90")

    # When they order two, with their details
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@navy.example")
    page.get_by_label("Company").fill("Navy")
    page.get_by_role("button", name="Buy now").click()

    # Then the confirmation shows the total
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    expect(page.locator("#order-confirmation")).to_have_text("2 × Starter plan · total €99.80")

    # When a marketer signs in and opens the campaign
    log_in("marketer", PASSWORD)
    page.goto(f"/campaigns/{campaign.pk}/")

    # Then the campaign shows the won revenue, and the creative its order and revenue
    expect(page.locator("[data-metric='won_revenue'] .value")).to_have_text("€99.80")
    creative_row = page.locator(f"#creatives tr[data-creative='{creative.pk}']")
    expect(creative_row).to_contain_text("1 ordered")
    expect(creative_row).to_contain_text("€99.80")

    # And the attribution report credits the revenue to the campaign under every model
    page.get_by_role("link", name="Attribution", exact=True).click()
    row = page.locator("#attribution-table tbody tr", has_text="Spring launch")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-model]")).to_have_text(["€99.80", "€99.80", "€99.80"])

    # And the records agree
    order = Order.objects.get()
    assert (order.quantity, order.unit_price, order.total) == (
        2,
        Decimal("49.90"),
        Decimal("99.80"),
    )
    deal = Deal.objects.get()
    assert (deal.status, deal.amount, deal.close_note) == (
        "won",
        Decimal("99.80"),
        "Bought online via Starter ad",
    )
    assert order.contact.lifecycle_stage == "customer"
    assert dialogs == []
    assert page_errors == []
