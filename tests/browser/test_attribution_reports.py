"""The attribution models and ROI pages in a real browser: the charts draw without script errors."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from revline.campaigns.models import AdSpend, Campaign, Channel
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def history(db):
    search = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    social = Campaign.objects.create(name="Social", channel=Channel.PAID_SOCIAL)
    AdSpend.objects.create(campaign=search, date=date(2025, 3, 5), spend=Decimal("600"))
    for name, path, amount in (("ada", (search, social), "900"), ("bob", (social,), "100")):
        contact = contact_create(actor=None, email=f"{name}@example.com")
        for day, campaign in enumerate(path, start=2):
            touchpoint_record(
                kind=TouchpointKind.CLICK,
                visitor=None,
                contact=contact,
                campaign=campaign,
                occurred_at=datetime(2025, 3, day, tzinfo=UTC),
            )
        deal = deal_create(
            actor=None,
            name=name,
            amount=Decimal(amount),
            contact=contact,
            created_at=datetime(2025, 3, 5, tzinfo=UTC),
        )
        deal_close_won(actor=None, deal=deal, note="Fit", at=datetime(2025, 3, 10, tzinfo=UTC))


def test_comparison_and_roi_charts_draw(
    page: Page, live_server, log_in, marketer, history, page_errors
):
    log_in("marketer", PASSWORD)

    page.goto("/reports/attribution/models/?start=2025-03-01&end=2025-03-31&dimension=campaign")
    assert page.locator("#credits-chart").evaluate("c => c.width > 0")
    page.get_by_role("link", name="Compare models").click()
    expect(page.locator("#comparison-table tbody tr")).to_have_count(2)
    assert page.locator("#comparison-chart").evaluate("c => c.width > 0")

    page.goto("/reports/roi/?start=2025-03-01&end=2025-03-31")
    expect(page.locator('[data-stat="spend"] .value')).to_have_text("€600")
    assert page.locator("#roi-chart").evaluate("c => c.width > 0")
    assert page_errors == []
