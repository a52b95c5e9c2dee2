"""The forecast page in a real browser: the chart draws, and picking a category updates the
figures in place."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from revline.sales.forecast import period_bounds
from revline.sales.models import Deal
from revline.sales.services import pipeline_default

from ..conftest import PASSWORD
from ..sales.conftest import make_deal

pytestmark = pytest.mark.browser


def test_rep_commits_a_deal_and_the_commit_figure_follows(
    page: Page, live_server, log_in, rep_a, page_errors
):
    # Given an open deal in Negotiation expected to close this month
    pipeline = pipeline_default()
    start, _ = period_bounds("month", timezone.localdate())
    deal = make_deal(
        rep_a,
        "Acme rollout",
        "12000",
        stage=pipeline.stages.get(name="Negotiation"),
        expected_close_date=start + timedelta(days=2),
    )
    log_in("rep_a", PASSWORD)

    # When the rep opens the forecast and puts the deal in commit
    page.goto("/sales/forecast/")
    expect(page.locator('[data-stat="commit"] .value')).to_have_text("€0")
    expect(page.locator('[data-stat="weighted_configured"] .value')).to_have_text("€9,000")
    page.get_by_label("Forecast category of Acme rollout").select_option("commit")

    # Then the commit figure updates without a reload, and the category is stored
    expect(page.locator('[data-stat="commit"] .value')).to_have_text("€12,000")
    deal.refresh_from_db()
    assert deal.forecast_category == "commit"
    assert Deal.objects.filter(forecast_category="commit").count() == 1
    # And the backtest chart was drawn, without script errors
    assert page.locator("#backtest-chart").evaluate("c => c.width > 0")
    assert page_errors == []
