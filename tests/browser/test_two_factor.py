"""Two-factor sign-in in a real browser: set it up from the security page with the key the page
shows, sign out, and sign in again with the password and then a code; a wrong code is refused."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from revline.core.models import TwoFactorDevice
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in_with_password(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _fresh_code(secret: str, used: str) -> str:
    """The current code, or the next one when the current was already used (codes are single-use)."""
    totp = pyotp.TOTP(secret)
    code = totp.now()
    if code == used:
        code = totp.at(time.time() + 30)
    return code


def test_setting_up_and_signing_in_with_two_factor(page: Page, log_in, rep_a, page_errors):
    log_in(rep_a.username, PASSWORD)
    page.goto("/settings/security/")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    expect(page.get_by_alt_text("QR code for your authenticator app")).to_be_visible()

    an_hour_away = pyotp.TOTP(secret).at(time.time() + 3600)
    page.get_by_label("Authentication code").fill(an_hour_away)
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.locator(".has-error small.error")).to_be_visible()
    assert not TwoFactorDevice.objects.filter(user=rep_a, confirmed_at__isnull=False).exists()

    first_code = pyotp.TOTP(secret).now()
    page.get_by_label("Authentication code").fill(first_code)
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.locator("#recovery-codes li")).to_have_count(8)
    assert TwoFactorDevice.objects.filter(user=rep_a, confirmed_at__isnull=False).exists()

    page.context.clear_cookies()
    _sign_in_with_password(page, rep_a.username)
    expect(page).to_have_url(re.compile(r"/login/verify/"))
    page.get_by_label("Authentication code").fill("12345x")
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/login/verify/"))

    page.get_by_label("Authentication code").fill(_fresh_code(secret, used=first_code))
    page.get_by_role("button", name="Verify").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    page.goto("/settings/security/")
    expect(page.get_by_text("Recovery codes left")).to_be_visible()
    assert page_errors == []
