"""A marketer builds an email from blocks in a real browser: rows added with htmx, the sandboxed
preview follows the edits, the mobile width and a chosen contact apply, and the template saves."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from revline.email.models import EmailTemplate
from revline.people.models import Contact

from ..browser.conftest import (  # noqa: F401 -- fixtures shared with the browser tests
    chromium_browser,
    dialogs,
    log_in,
    page,
    page_errors,
)
from ..conftest import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("REVLINE_SCREENSHOTS", "")


def test_marketer_builds_a_template_with_a_live_preview(
    page: Page,  # noqa: F811
    live_server,
    log_in,  # noqa: F811
    marketer,
    page_errors,  # noqa: F811
):
    # Given a marketer signed in and a contact to preview as
    Contact.objects.create(first_name="Grace", last_name="Hopper", email="grace@example.com")
    log_in("marketer", PASSWORD)

    # When they start a template, name it and add a button block
    page.goto("/email/templates/new/")
    page.locator("#id_name").fill("Launch")
    page.locator("#id_subject").fill('Big news, {{ contact.first_name|default:"friend" }}')
    page.get_by_role("button", name="+ Button").click()
    expect(page.locator("#block-2")).to_be_visible()
    page.locator("#id_block-2-label").fill("Read the launch post")
    page.locator("#id_block-2-url").fill("https://example.com/launch")

    # Then the sandboxed preview shows the button, as the sample contact
    preview = page.frame_locator("iframe[title='Email preview']")
    expect(preview.get_by_role("link", name="Read the launch post")).to_be_visible()
    expect(page.locator(".email-meta")).to_contain_text("Big news, Alex")
    assert page.locator("iframe[title='Email preview']").get_attribute("sandbox") == ""

    # When they preview as Grace on a phone
    page.get_by_role("searchbox", name="Preview as").fill("hopper")
    page.get_by_label(re.compile("Grace Hopper")).check()
    page.get_by_label("Mobile").check()

    # Then the subject and width follow
    expect(page.locator(".email-meta")).to_contain_text("Big news, Grace")
    expect(page.locator(".email-frame-mobile")).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/email-template-editor.png", full_page=True)

    # When they move the button up and save
    page.get_by_role("button", name="Move block 3 up").click()
    expect(page.locator("input[name='block-1-type']")).to_have_value("button")
    page.get_by_role("button", name="Create template").click()

    # Then the template is stored with the blocks in the new order
    expect(page.get_by_text("Template “Launch” saved.")).to_be_visible()
    template = EmailTemplate.objects.get()
    assert [b["type"] for b in template.blocks] == ["heading", "button", "text"]
    assert template.blocks[1]["url"] == "https://example.com/launch"
    assert page_errors == []
