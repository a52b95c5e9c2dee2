"""The deal page in a real browser: a rep adds a committee member and closes the deal lost."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from revline.people.services import company_create, contact_create
from revline.sales.models import CloseReason, Competitor, DealContact
from revline.sales.services import deal_create

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_add_a_committee_member_and_close_lost_to_a_competitor(
    page: Page, live_server, log_in, rep_a, page_errors, dialogs
):
    # Given a deal with a primary contact, a colleague of hers, the reasons and a competitor
    acme = company_create(actor=None, name="Acme Corp", domain="acme.example")
    ada = contact_create(
        actor=None, first_name="Ada", last_name="Lovelace", email="ada@acme.example", company=acme
    )
    contact_create(
        actor=None, first_name="Grace", last_name="Hopper", email="grace@acme.example", company=acme
    )
    # A live-server test starts from an empty database: the migration's reasons are gone.
    CloseReason.objects.get_or_create(kind="won", name="Relationship")
    competitor_reason, _ = CloseReason.objects.get_or_create(
        kind="lost", name="Went with a competitor"
    )
    Competitor.objects.create(name="Rivalsoft")
    deal = deal_create(
        actor=rep_a, name="Acme platform", amount=Decimal("24000"), contact=ada, company=acme
    )

    # When the rep opens the deal and adds Grace to the buying committee as the champion
    log_in("rep_a", PASSWORD)
    page.goto(f"/sales/deals/{deal.pk}/")
    expect(page.get_by_role("heading", name="Acme platform")).to_be_visible()
    committee = page.locator("#committee")
    committee.locator("summary").click()
    committee.get_by_label(re.compile(r"^Contact \*")).press_sequentially("Grace")
    page.locator(".lookup-item", has_text="Grace Hopper").click()
    committee.get_by_label(re.compile(r"^Role \*")).select_option(label="Champion")
    page.get_by_role("button", name="Add to committee").click()

    # Then she is listed with her role
    row = page.locator("#committee tbody tr", has_text="Grace Hopper")
    expect(row.locator(".badge.role")).to_have_text("Champion")

    # When the rep closes the deal lost: only lost reasons are offered once "Lost" is chosen
    close = page.locator("#close-deal")
    close.get_by_label("Lost", exact=True).check()
    expect(page.locator("#close-deal optgroup[label='Won']")).to_be_hidden()
    close.get_by_label("Reason").select_option(label="Went with a competitor")
    close.get_by_label("Lost to").select_option(label="Rivalsoft")
    close.get_by_label("Note").fill("Cheaper for 50 seats")
    close.get_by_role("button", name="Close deal").click()

    # Then the page shows the deal lost, why and to whom
    expect(page.locator("h1 .badge")).to_have_text("Lost")
    expect(page.locator("#close-reason")).to_have_text(
        "Went with a competitor · Cheaper for 50 seats"
    )
    expect(page.locator("#lost-to")).to_have_text("Rivalsoft")

    # And the records agree
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason, deal.lost_to.name, deal.close_note) == (
        "lost",
        competitor_reason,
        "Rivalsoft",
        "Cheaper for 50 seats",
    )
    assert list(DealContact.objects.values_list("contact__first_name", "role")) == [
        ("Grace", "champion")
    ]
    assert page_errors == []
    assert dialogs == []
