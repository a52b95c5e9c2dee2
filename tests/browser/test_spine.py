"""The click-to-revenue spine in a real browser, done the way a visitor and a sales rep do it."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from revline.campaigns.models import Campaign, Channel
from revline.content.models import LandingPage
from revline.people.models import Contact
from revline.sales.models import CloseReason, Deal
from revline.tracking.models import Touchpoint
from revline.tracking.services import link_create

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser

CONSENT = "Email me about Revline news and offers."
EMAIL = "ada@analytical.example"


def test_click_to_won_revenue_in_the_attribution_report(
    page: Page, live_server, log_in, rep_a, marketer, dialogs
):
    # Given the workspace's won reasons (a live-server test starts from an empty database)
    CloseReason.objects.get_or_create(kind="won", name="Best product fit")
    # And a campaign whose tracked link points at its landing page on this server
    campaign = Campaign.objects.create(
        name="Spring Launch",
        channel=Channel.PAID_SEARCH,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring_launch",
    )
    LandingPage.objects.create(
        slug="spring",
        title="Spring",
        headline="Grow faster this spring",
        campaign=campaign,
        consent_wording=CONSENT,
    )
    link = link_create(
        actor=marketer,
        campaign=campaign,
        destination_url=f"{live_server.url}/lp/spring",
        label="Search ad",
    )

    # When a visitor clicks the ad
    page.goto(f"/t/c/{link.token}")

    # Then they land on the landing page, with the campaign's UTM values in the address
    expect(page).to_have_url(
        f"{live_server.url}/lp/spring?utm_source=google&utm_medium=cpc&utm_campaign=spring_launch"
    )
    expect(page.get_by_role("heading", name="Grow faster this spring")).to_be_visible()

    # When they fill in the form, consent, and submit
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Work email").fill(EMAIL)
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Get in touch").click()

    # Then they see the thank-you page
    expect(page).to_have_url(f"{live_server.url}/lp/spring/thanks")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    # When the sales rep signs in and searches the contacts for the new lead's email
    log_in("rep_a", PASSWORD)
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("searchbox", name="Search contacts").fill(EMAIL)
    page.get_by_role("searchbox", name="Search contacts").press("Enter")

    # Then exactly that contact is listed, and its page shows the ad click on the timeline
    rows = page.locator("#contacts-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(EMAIL)
    rows.first.get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", name=re.compile("Ada Lovelace"))).to_be_visible()
    click_item = page.locator("#timeline li[data-kind='click']")
    expect(click_item).to_have_count(1)
    expect(click_item).to_contain_text("Link click · Spring Launch")
    expect(click_item).to_contain_text("UTM: source=google · medium=cpc · campaign=spring_launch")

    # When the rep creates a deal from the contact (it comes pre-filled with the contact)
    page.locator("header.page-head").get_by_role("link", name="New deal").click()
    expect(page.get_by_role("heading", name="New deal")).to_be_visible()
    expect(page.locator("#id_contact_label")).to_have_value("Ada Lovelace")
    page.get_by_label("Name").fill("Ada – analytics engine")
    page.get_by_label("Amount").fill("1200")
    page.get_by_role("button", name="Create deal").click()
    expect(page).to_have_url(re.compile(r"/sales/deals/\d+/$"))
    expect(page.get_by_role("heading", name="Ada – analytics engine")).to_be_visible()

    # And closes it won with a reason from the list and a note
    close = page.locator("#close-deal")
    close.get_by_label("Won", exact=True).check()
    close.get_by_label("Reason").select_option(label="Best product fit")
    close.get_by_label("Note").fill("Best fit for their data team")
    close.get_by_role("button", name="Close deal").click()
    expect(page.locator("#close-reason")).to_have_text(
        "Best product fit · Best fit for their data team"
    )

    # Then the attribution report credits the revenue to the campaign, under every model
    page.get_by_role("link", name="Attribution", exact=True).click()
    row = page.locator("#attribution-table tbody tr", has_text="Spring Launch")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-model]")).to_have_text(["€1,200", "€1,200", "€1,200"])

    # And the records behind the pages agree
    contact = Contact.objects.get()
    assert contact.email == EMAIL
    assert contact.lifecycle_stage == "customer"
    deal = Deal.objects.get()
    assert (deal.contact_id, deal.status, deal.amount) == (contact.pk, "won", Decimal("1200"))
    assert deal.close_note == "Best fit for their data team"
    kinds = sorted(Touchpoint.objects.filter(contact=contact).values_list("kind", flat=True))
    assert kinds == ["click", "form_submission", "page_view"]
    assert dialogs == []
