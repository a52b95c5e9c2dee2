"""Logging an objection on the deal page, in a real browser, the way a rep does it."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from revline.sales.models import Objection, ObjectionType
from revline.sales.objection_services import (
    objection_response_create,
    objection_types_ensure_defaults,
)
from revline.sales.services import deal_create

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_rep_logs_an_objection_with_a_response_and_outcome(
    page: Page, live_server, log_in, rep_a, manager_a, page_errors
):
    # Given the objection library with a recommended answer to price, and a deal of the rep
    objection_types_ensure_defaults()
    price = ObjectionType.objects.get(name="Price")
    roi = objection_response_create(
        actor=manager_a, objection_type=price, title="Show the ROI", body="Payback in 4 months."
    )
    deal = deal_create(actor=rep_a, name="Acme platform", amount=Decimal("9000"))

    # When the rep opens the deal and logs what the buyer said
    log_in(rep_a.username, PASSWORD)
    page.goto(f"/sales/deals/{deal.pk}/")
    panel = page.locator("#deal-objections")
    expect(panel.get_by_text("No objections logged on this deal yet.")).to_be_visible()
    panel.get_by_text("Log an objection").click()
    panel.locator("#id_objection_type").select_option(label="Price")
    # the type's recommended answers load next to the form, and its responses into the select
    expect(panel.get_by_text("Payback in 4 months.")).to_be_visible()
    expect(panel.locator("#objection-response option", has_text="Show the ROI")).to_be_attached()
    panel.get_by_label("Buyer's words").fill("Your rival is 20 % cheaper")
    panel.locator("#objection-response").select_option(label="Show the ROI")
    panel.get_by_label("Outcome").select_option(label="Overcome")
    panel.get_by_role("button", name="Log objection").click()

    # Then it is listed on the deal, with its outcome, without leaving the page
    item = page.locator(".objection-item").first
    expect(item).to_contain_text("Your rival is 20 % cheaper")
    expect(item).to_contain_text("Show the ROI")
    expect(item.locator(".badge")).to_have_text("Overcome")
    expect(page).to_have_url(f"{live_server.url}/sales/deals/{deal.pk}/")
    objection = Objection.objects.get()
    assert (objection.deal_id, objection.response_id, objection.outcome) == (
        deal.pk,
        roi.pk,
        "overcome",
    )
    assert objection.stage_id == deal.stage_id
    assert page_errors == []
