"""Competitors on the deal page, in a real browser: a rep adds the competitor the buyer is
looking at, reads its battlecard, and takes it off again."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from revline.competitors.services import competitor_create
from revline.sales.services import deal_create

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_rep_adds_a_competitor_reads_its_battlecard_and_removes_it(
    page: Page, live_server, log_in, rep_a, page_errors
):
    # Given a competitor with a battlecard and a deal of the rep
    rival = competitor_create(
        actor=None,
        name="Rivalsoft",
        how_to_win="Lead with the closed loop.\nShow attribution.",
        landmines="<b>Where do quotes live?</b>",
    )
    deal = deal_create(actor=rep_a, name="Acme platform", amount=Decimal("9000"))

    # When the rep opens the deal and adds the competitor in the Competitors card
    log_in(rep_a.username, PASSWORD)
    page.goto(f"/sales/deals/{deal.pk}/")
    card = page.locator("#deal-competitors")
    expect(card.get_by_text("No competitor recorded on this deal.")).to_be_visible()
    card.get_by_label("Competitor").select_option(label="Rivalsoft")
    card.get_by_role("button", name="Add competitor").click()

    # Then it is listed without leaving the page, and its battlecard opens as text
    item = page.locator(f'#deal-competitors li[data-competitor="{rival.pk}"]')
    expect(item).to_contain_text("Rivalsoft")
    item.locator("summary").click()
    expect(item.get_by_text("Lead with the closed loop.")).to_be_visible()
    expect(item.get_by_text("<b>Where do quotes live?</b>")).to_be_visible()
    assert list(deal.competitors.values_list("name", flat=True)) == ["Rivalsoft"]

    # And removing it takes it off the deal
    item.get_by_role("button", name="Remove Rivalsoft").click()
    expect(page.locator("#deal-competitors").get_by_text("No competitor recorded")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/sales/deals/{deal.pk}/")
    assert deal.competitors.count() == 0
    assert page_errors == []
