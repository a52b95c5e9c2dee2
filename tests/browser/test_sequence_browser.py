import pytest
from playwright.sync_api import expect

from revline.email.models import Sequence
from revline.email.sequence_services import enrollment_create

from ..conftest import PASSWORD
from ..email.sequence_factories import NOW, make_contact, make_form

pytestmark = pytest.mark.browser


def test_build_sequence_in_browser(page, log_in, marketer, page_errors):
    make_form("Ebook")
    log_in("marketer", PASSWORD)
    page.goto("/email/sequences/new/")
    page.get_by_label("Name").fill("Welcome flow")
    page.get_by_label("Starts when").select_option("score_crossed")
    expect(page.locator("#id_score")).to_be_visible()
    page.locator("#id_score").fill("40")
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Create sequence").click()
    seq = Sequence.objects.get()
    assert seq.trigger_config == {"score": 40}
    page.locator("#step-kind").select_option("wait")
    expect(page.locator("#step-form input[name=days]")).to_be_visible()
    page.locator("#step-form input[name=days]").fill("2")
    page.get_by_role("button", name="Add step").click()
    expect(page.locator(".sequence-step")).to_have_count(1)
    page.locator("#step-kind").select_option("create_task")
    page.locator("#step-form input[name=subject]").fill("Call Ada")
    page.get_by_role("button", name="Add step").click()
    expect(page.locator(".sequence-step")).to_have_count(2)
    page.locator("#step-kind").select_option("branch")
    expect(page.locator("#step-form select[name=else_position]")).to_be_visible()
    enrollment_create(sequence=seq, contact=make_contact(), now=NOW)
    page.reload()
    page.get_by_role("button", name="Move step 2 up").click()
    expect(page.locator(".sequence-step").first).to_contain_text("Call Ada")
    assert list(seq.steps.order_by("position").values_list("kind", flat=True)) == [
        "create_task",
        "wait",
    ]
    page.goto("/email/sequences/")
    assert page_errors == []
