"""The pipeline board in a real browser: drag a card to another stage, then to Won."""

import pytest
from playwright.sync_api import Page, expect

from revline.sales.models import CloseReason, Deal, DealStatus, StageKind
from revline.sales.services import deal_create, pipeline_default

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


def column(page: Page, stage_id: int):
    return page.locator(f'.board-cards[data-stage="{stage_id}"]')


def card(page: Page, deal: Deal):
    return page.locator(f'.board-card[data-deal="{deal.pk}"]')


def test_drag_a_card_to_another_stage_then_to_won(page: Page, log_in, rep_a, page_errors):
    # Given a deal of rep_a in Qualification, and a won reason in the list
    pipeline = pipeline_default()
    stages = {s.name: s for s in pipeline.stages.all()}
    reason, _ = CloseReason.objects.get_or_create(kind=StageKind.WON, name="Best product fit")
    deal = deal_create(actor=None, owner=rep_a, name="Board deal", amount=1500)
    other = deal_create(actor=None, owner=rep_a, name="Stays open", amount=200)
    page.set_viewport_size({"width": 1920, "height": 1000})  # every column on screen
    log_in("rep_a", PASSWORD)
    page.goto("/sales/board/")
    expect(column(page, stages["Qualification"].pk).locator(".board-card")).to_have_count(2)

    # When rep_a drags the card to Proposal
    card(page, deal).drag_to(column(page, stages["Proposal"].pk))

    # Then the board is re-rendered with the card in Proposal and the new totals
    proposal = page.locator(f'.board-column[data-stage="{stages["Proposal"].pk}"]')
    expect(proposal.locator(".board-card")).to_have_count(1)
    expect(proposal.locator("[data-count]")).to_have_text("1")
    expect(proposal.locator("[data-sum]")).to_contain_text("€1,500")
    deal.refresh_from_db()
    assert deal.stage == stages["Proposal"]

    # When the other card is dropped on Lost and the dialog is cancelled
    card(page, other).drag_to(column(page, stages["Lost"].pk))
    dialog = page.locator("#board-close-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()

    # Then it is back in Qualification, still open
    expect(dialog).to_be_hidden()
    expect(column(page, stages["Qualification"].pk).locator(".board-card")).to_have_count(1)
    other.refresh_from_db()
    assert (other.status, other.stage) == (DealStatus.OPEN, stages["Qualification"])

    # When the first card is dropped on Won, and the dialog is sent without a reason
    card(page, deal).drag_to(column(page, stages["Won"].pk))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Close the deal as won")
    expect(dialog.get_by_label("Lost to")).to_be_hidden()
    dialog.get_by_role("button", name="Close deal").click()

    # Then the dialog says what is missing, and nothing changed
    expect(dialog.locator("[data-dialog-error]")).to_have_text(
        "Pick a reason, or say why in the note."
    )
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN

    # When a reason and a note are given
    dialog.locator("#board-reason-won").select_option(label="Best product fit")
    dialog.get_by_label("Note").fill("Signed after the pilot")
    dialog.get_by_role("button", name="Close deal").click()

    # Then the deal is won, with the reason, and the Won column counts it
    expect(dialog).to_be_hidden()
    won = page.locator(f'.board-column[data-stage="{stages["Won"].pk}"]')
    expect(won.locator("[data-count]")).to_have_text("1")
    expect(proposal.locator("[data-count]")).to_have_text("0")
    deal.refresh_from_db()
    assert (deal.status, deal.stage, deal.close_reason, deal.close_note) == (
        DealStatus.WON,
        stages["Won"],
        reason,
        "Signed after the pilot",
    )
    assert page_errors == []


def test_a_refused_move_puts_the_card_back_and_says_why(page: Page, log_in, rep_a, page_errors):
    # Given a deal of rep_a that is closed behind the board's back after the page was loaded
    pipeline = pipeline_default()
    stages = {s.name: s for s in pipeline.stages.all()}
    deal = deal_create(actor=None, owner=rep_a, name="Raced", amount=100)
    log_in("rep_a", PASSWORD)
    page.goto("/sales/board/")
    Deal.objects.filter(pk=deal.pk).update(status=DealStatus.LOST)

    # When rep_a drags it to Discovery
    card(page, deal).drag_to(column(page, stages["Discovery"].pk))

    # Then the reason is shown and the card is back where it was
    expect(page.locator("#board-error")).to_have_text("This deal is closed. Reopen it first.")
    expect(column(page, stages["Qualification"].pk).locator(".board-card")).to_have_count(1)
    expect(column(page, stages["Discovery"].pk).locator(".board-card")).to_have_count(0)
    deal.refresh_from_db()
    assert deal.stage == stages["Qualification"]
    assert page_errors == []
