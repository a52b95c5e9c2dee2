"""A quote in a real browser: the rep builds it with a big discount, asks for approval, the
manager approves, the rep sends it, and the buyer accepts it on the public page."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from revline.quotes.models import Quote, QuoteApproval
from revline.sales.models import Activity

from ..conftest import PASSWORD
from ..quotes import conftest as quote_fixtures
from ..sales.conftest import acme, ada, pipeline  # noqa: F401

deal = quote_fixtures.deal
seats = quote_fixtures.seats

pytestmark = pytest.mark.browser


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/"))


def test_quote_with_big_discount_is_approved_sent_and_accepted(
    page: Page,
    live_server,
    log_in,
    rep_a,
    manager_a,
    deal,
    seats,
    page_errors,
):
    # Given rep_a's deal and a product; the workspace approves discounts above 15 %
    log_in("rep_a", PASSWORD)

    # When the rep starts a quote from the deal
    page.goto(f"/quotes/new?deal={deal.pk}")
    page.get_by_label("Title").fill("Acme rollout offer")
    page.get_by_role("button", name="Create quote").click()
    expect(page.locator("#quote-editor")).to_be_visible()

    # and picks the product (name and price fill in), 10 seats at 30 % off, 19 % tax
    page.locator('select[name="lines-0-product"]').select_option(label="Seat licence")
    expect(page.locator('input[name="lines-0-name"]')).to_have_value("Seat licence")
    expect(page.locator('input[name="lines-0-unit_price"]')).to_have_value("100.00")
    page.locator('input[name="lines-0-quantity"]').fill("10")
    page.locator('input[name="lines-0-discount_percent"]').fill("30")
    page.get_by_role("button", name="Add line").click()
    page.locator('input[name="lines-1-name"]').fill("Travel")
    page.locator('input[name="lines-1-unit_price"]').fill("150")
    page.get_by_label("Tax %").fill("19")
    page.locator("#save-quote").click()

    # Then the server's totals show, with the discount flagged for approval
    expect(page.locator("#quote-total")).to_have_text("€1,011.50")  # (700 + 150) x 1.19
    expect(page.locator("#effective-discount")).to_contain_text("needs approval")
    expect(page.locator("#send-quote")).to_have_count(0)

    # When the rep requests approval
    page.locator("#request-approval").click()
    expect(page.locator("h1 .badge")).to_have_text("Waiting for approval")
    _log_out(page)

    # and the manager approves it from the inbox
    log_in("manager_a", PASSWORD)
    page.goto("/quotes/approvals/")
    row = page.locator("#pending-approvals tr[data-approval]")
    expect(row).to_have_count(1)
    row.get_by_placeholder("Comment (required to reject)").fill("OK this quarter")
    row.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash.success")).to_contain_text("approved")
    _log_out(page)

    # Then the rep can send it
    log_in("rep_a", PASSWORD)
    quote = Quote.objects.get()
    page.goto(f"/quotes/{quote.pk}/")
    page.locator("#send-quote").click()
    expect(page.locator("h1 .badge")).to_have_text("Sent")
    token = quote.versions.get().public_token
    _log_out(page)

    # When the buyer opens the link (no login) and accepts
    page.goto(f"/q/{token}")
    expect(page.locator("#public-total")).to_have_text("€1,011.50")
    page.get_by_label("Your full name").fill("Ada Lovelace")
    page.get_by_label("I accept this quote").check()
    page.get_by_role("button", name="Accept quote").click()

    # Then the page confirms it, and the acceptance is recorded and moved the deal forward
    expect(page.locator("#quote-state")).to_contain_text("Accepted by Ada Lovelace")
    version = quote.versions.get()
    assert (version.status, version.accepted_name, version.accepted_ip) == (
        "accepted",
        "Ada Lovelace",
        "127.0.0.1",
    )
    assert version.total == Decimal("1011.50")
    assert QuoteApproval.objects.get().decision == "approved"
    deal.refresh_from_db()
    assert deal.stage.name == "Negotiation"
    assert Activity.objects.filter(deal=deal, subject__contains="accepted by Ada Lovelace").exists()
    assert page_errors == []
