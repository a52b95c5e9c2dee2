"""Real-browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

A missing /usr/bin/chromium skips these tests on a developer machine but fails them in CI
(the CI environment variable is set), where a browser that did not install is a broken build.
"""

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

# REVLINE_CHROMIUM points elsewhere on machines whose chromium is not where Debian puts it.
CHROMIUM = Path(os.environ.get("REVLINE_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium, or set REVLINE_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: in CI a missing browser is a failure", pytrace=False)
        pytest.skip(message)
    # Playwright's sync API keeps an asyncio loop running on this thread, which makes Django
    # refuse ORM calls from the test body. Nothing here is async, so the guard is lifted while
    # the browser runs, and only then (module scope keeps it away from the other tests).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm/prompt the page opened (each is dismissed)."""
    return []


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript errors of the page."""
    return []


@pytest.fixture
def page(
    chromium_browser: Browser, live_server, dialogs: list[str], page_errors: list[str]
) -> Iterator[Page]:
    context = chromium_browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    new_page = context.new_page()

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    new_page.on("dialog", on_dialog)
    new_page.on("pageerror", lambda error: page_errors.append(str(error)))
    yield new_page
    # A panel the page loads after it renders (hx-trigger="load") may still be in the live
    # server when the test ends; on SQLite that request shares the in-memory database the
    # teardown flushes, and the flush fails. Waiting for the network to go quiet ends it first.
    with contextlib.suppress(PlaywrightError):
        new_page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


@pytest.fixture
def log_in(page: Page) -> Callable[[str, str], None]:
    """Sign in through the login form, as a person would."""

    def _log_in(username: str, password: str) -> None:
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile(r"/login/"))
        page.wait_for_load_state()

    return _log_in
