"""An A/B test of a button label in a real browser: set it up, start it, a visitor sees a
variant on the public page, and the results page shows the numbers and the chart."""

import pytest
from playwright.sync_api import Page, expect

from revline.experiments.models import Experiment, ExperimentStatus, Exposure

from ..conftest import PASSWORD
from ..experiments.factories import make_page

pytestmark = pytest.mark.browser


def test_a_marketer_sets_up_a_button_test_starts_it_and_reads_the_results(
    page: Page, live_server, log_in, marketer, page_errors
):
    # Given a published landing page
    landing = make_page("pricing", headline="Pricing that scales")
    log_in(marketer.username, PASSWORD)

    # When the marketer creates a button-label experiment through the form
    page.goto("/experiments/")
    expect(page.get_by_text("No experiments yet.")).to_be_visible()
    page.get_by_role("link", name="New experiment").click()
    page.locator("#id_name").fill("Pricing button")
    page.locator("#id_kind").select_option("cta_label")
    page.locator("#id_goal").select_option("form_submission")
    page.locator("#id_landing_page").select_option(str(landing.pk))
    # Only the button-label column is shown for this kind of test
    expect(page.get_by_label("Control: Subject line")).to_be_hidden()
    page.get_by_label("Control: Button label").fill("Get in touch")
    page.get_by_label("Variant 2: Button label").fill("Start my free trial")
    page.get_by_role("button", name="Create experiment").click()

    # Then it is a draft, and starting it makes it run
    expect(page.get_by_role("heading", name="Pricing button")).to_be_visible()
    expect(page.get_by_text("No statistics yet")).to_be_visible()
    page.get_by_role("button", name="Start experiment").click()
    expect(page.get_by_text("Experiment started")).to_be_visible()
    experiment = Experiment.objects.get()
    assert experiment.status == ExperimentStatus.RUNNING

    # When a visitor opens the public page, they see one of the two labels
    visitor = page.context.browser.new_page()  # type: ignore[union-attr]
    visitor.goto(f"{live_server.url}/lp/pricing")
    exposure = Exposure.objects.get()
    label = exposure.variant.cta_label
    expect(visitor.get_by_role("button", name=label)).to_be_visible()
    visitor.close()

    # And the results page counts them, with the chart beside its numbers
    page.reload()
    expect(page.locator("#total-users")).to_have_text("1")
    expect(page.locator("#variant-table")).to_contain_text("Start my free trial")
    expect(page.locator("#experiment-chart")).to_be_visible()
    expect(page.locator("#series-table")).to_be_visible()
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    assert page_errors == []
