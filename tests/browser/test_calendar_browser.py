"""The content calendar in a real browser: drag an item to another day, or move it by keyboard."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from revline.content.models import ContentItem, ContentStatus

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


@pytest.fixture
def post(marketer) -> ContentItem:
    return ContentItem.objects.create(
        title="Ten pipeline habits",
        kind="blog_post",
        status=ContentStatus.DRAFT,
        publish_date=date(2025, 3, 12),
    )


def day_cell(page: Page, day: str):
    return page.locator(f'.cal-day[data-date="{day}"]')


def test_dragging_an_item_onto_another_day_moves_it(page, log_in, marketer, post, page_errors):
    log_in("marketer", PASSWORD)
    page.goto("/content/calendar/?date=2025-03-01")

    page.drag_and_drop(".cal-item[draggable=true]", '.cal-day[data-date="2025-03-14"]')

    expect(page.locator(".flash.success")).to_contain_text("moved to Fri Mar 14, 2025")
    expect(day_cell(page, "2025-03-14")).to_contain_text("Ten pipeline habits")
    expect(day_cell(page, "2025-03-12")).not_to_contain_text("Ten pipeline habits")
    assert ContentItem.objects.get(pk=post.pk).publish_date == date(2025, 3, 14)
    assert page_errors == []


def test_the_keyboard_fallback_moves_an_item_with_the_date_form(page, log_in, marketer, post):
    log_in("marketer", PASSWORD)
    page.goto("/content/calendar/?view=week&date=2025-03-12")

    page.locator(".cal-move summary").first.focus()
    page.keyboard.press("Enter")
    page.get_by_label("New publish date").first.fill("2025-03-10")
    page.get_by_role("button", name="Move", exact=True).first.click()

    expect(page.locator(".flash.success")).to_contain_text("moved to Mon Mar 10, 2025")
    expect(page).to_have_url("/content/calendar/?view=week&date=2025-03-12")
    expect(day_cell(page, "2025-03-10")).to_contain_text("Ten pipeline habits")
    assert ContentItem.objects.get(pk=post.pk).publish_date == date(2025, 3, 10)


def test_hostile_titles_stay_text_on_the_calendar(page, log_in, marketer, dialogs):
    ContentItem.objects.create(title=HOSTILE, kind="video", publish_date=date(2025, 3, 12))
    log_in("marketer", PASSWORD)

    page.goto("/content/calendar/?date=2025-03-01")

    expect(day_cell(page, "2025-03-12")).to_contain_text(HOSTILE)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert dialogs == []
