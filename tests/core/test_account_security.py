"""Security of accounts: lockout with growing delays, answers that never reveal whether an account
exists, session rotation, cookie and HTTPS settings, password hashing."""

import importlib.util
import logging
import re
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest
import time_machine
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client
from django_tasks_db.models import DBTaskResult

from revline.core.account_security import lock_message, lock_seconds

from ..conftest import PASSWORD

WRONG_LOGIN = "Please enter a correct username and password."
# Now-based, so sessions made while the clock is moved are still valid afterwards.
T0 = datetime.now(UTC).replace(microsecond=0)


def _post_login(
    client: Client, username: str, password: str = "wrong-password", ip: str = "10.0.0.1"
):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client: Client, username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        _post_login(client, username, ip=ip)


def _normalized(html: str, username: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html)
    return html.replace(f'value="{username}"', 'value="USERNAME"')


def _signed_in(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


# --- password hashing ---------------------------------------------------------------------


def test_production_hashers_put_argon2_first_and_keep_pbkdf2_for_old_hashes():
    # The tests run with a fast hasher (conftest); the settings module holds the production list.
    import revline.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in production.PASSWORD_HASHERS


def test_an_old_pbkdf2_hash_still_signs_in_and_is_upgraded_to_argon2(client, rep_a, settings):
    # Given the production hashers and a password hashed before Argon2 was the default
    import revline.settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    # (few iterations keep the test fast; the hash is verified with the iterations it names)
    rep_a.password = PBKDF2PasswordHasher().encode(PASSWORD, "oldsalt", iterations=1000)
    rep_a.save(update_fields=["password"])

    # When
    response = _post_login(client, "rep_a", PASSWORD)

    # Then
    assert response.status_code == 302
    rep_a.refresh_from_db()
    assert rep_a.password.startswith("argon2$argon2id$")


# --- lockout ------------------------------------------------------------------------------


def test_lock_grows_from_one_minute_doubling_up_to_the_cap():
    assert [lock_seconds(failures=n, limit=5, max_seconds=900) for n in range(3, 11)] == [
        0,
        0,
        60,
        120,
        240,
        480,
        900,
        900,
    ]
    assert lock_message(60) == "Too many failed attempts. Please try again in 1 minute."
    assert lock_message(61) == "Too many failed attempts. Please try again in 2 minutes."


def test_fifth_failure_locks_the_account_even_for_the_right_password(client, rep_a):
    with time_machine.travel(T0, tick=False):
        # Given four failures
        _fail(client, "rep_a", 4)
        fourth_done = _post_login(client, "rep_a", ip="10.0.0.2")

        # Then the fifth failure (from another address too) locks the account
        assert fourth_done.status_code == 429
        assert fourth_done["Retry-After"] == "60"
        assert lock_message(60) in fourth_done.content.decode()

        # When the right password comes while locked
        refused = _post_login(client, "rep_a", PASSWORD, ip="10.0.0.3")

        # Then it is refused and nobody is signed in
        assert refused.status_code == 429
        assert _signed_in(client) is None

    # When the minute has passed
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        accepted = _post_login(client, "rep_a", PASSWORD)

    # Then the right password works
    assert accepted.status_code == 302
    assert _signed_in(client) == str(rep_a.pk)


def test_fewer_failures_than_the_limit_only_show_the_usual_error(client, rep_a):
    _fail(client, "rep_a", 3)

    response = _post_login(client, "rep_a")

    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()
    assert "Too many failed attempts" not in response.content.decode()


def test_username_case_does_not_get_around_the_lock(client, rep_a):
    with time_machine.travel(T0, tick=False):
        _fail(client, "REP_A", 2)
        _fail(client, "Rep_A", 2)

        response = _post_login(client, "rep_a")

    assert response.status_code == 429


def test_delay_doubles_with_each_further_failure_up_to_fifteen_minutes(client, rep_a):
    retry_after = []
    now = T0
    with time_machine.travel(now, tick=False) as clock:
        _fail(client, "rep_a", 4)
        for _ in range(6):
            response = _post_login(client, "rep_a")
            assert response.status_code == 429
            retry_after.append(int(response["Retry-After"]))
            # wait out the lock, then fail again
            clock.shift(timedelta(seconds=retry_after[-1] + 1))

    assert retry_after == [60, 120, 240, 480, 900, 900]


def test_attempts_while_locked_do_not_lengthen_the_lock(client, rep_a):
    with time_machine.travel(T0, tick=False) as clock:
        _fail(client, "rep_a", 5)
        _fail(client, "rep_a", 10)
        clock.shift(timedelta(seconds=61))

        response = _post_login(client, "rep_a", PASSWORD)

    assert response.status_code == 302


def test_success_clears_the_account_count(client, rep_a):
    with time_machine.travel(T0, tick=False):
        # Given four failures and then a successful log-in
        _fail(client, "rep_a", 4)
        assert _post_login(client, "rep_a", PASSWORD).status_code == 302
        client.post("/logout/")

        # When four more failures follow
        _fail(client, "rep_a", 3)
        response = _post_login(client, "rep_a")

    # Then the account is not locked: the count started again
    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()


def test_failures_are_forgotten_after_a_quiet_window(client, rep_a):
    with time_machine.travel(T0, tick=False) as clock:
        _fail(client, "rep_a", 4)
        clock.shift(timedelta(minutes=16))

        response = _post_login(client, "rep_a")

    assert response.status_code == 200


def test_one_address_trying_many_accounts_is_locked_out(client, rep_a, settings):
    # Given a lower per-address limit and one address that failed on several usernames
    settings.REVLINE_LOGIN_IP_FAILURES = 3
    with time_machine.travel(T0, tick=False):
        _post_login(client, "alice", ip="203.0.113.9")
        _post_login(client, "bob", ip="203.0.113.9")
        third = _post_login(client, "carol", ip="203.0.113.9")

        # When that address tries an account it never tried, even with the right password
        refused = _post_login(client, "rep_a", PASSWORD, ip="203.0.113.9")
        # And another address signs in to the same account
        other = _post_login(client, "rep_a", PASSWORD, ip="198.51.100.4")

    # Then the address is locked, not the account
    assert third.status_code == 429
    assert refused.status_code == 429
    assert other.status_code == 302
    assert _signed_in(client) == str(rep_a.pk)


def test_lockout_of_an_unknown_username_looks_exactly_like_a_real_one(client, rep_a):
    with time_machine.travel(T0, tick=False):
        _fail(client, "rep_a", 5, ip="10.0.0.1")
        _fail(client, "nobody_here", 5, ip="10.0.0.2")

        known = _post_login(client, "rep_a", ip="10.0.0.1")
        unknown = _post_login(client, "nobody_here", ip="10.0.0.2")

    assert known.status_code == unknown.status_code == 429
    assert known["Retry-After"] == unknown["Retry-After"] == "60"
    assert _normalized(known.content.decode(), "rep_a") == _normalized(
        unknown.content.decode(), "nobody_here"
    )


def test_failed_logins_and_lockouts_are_logged(client, rep_a, caplog):
    caplog.set_level(logging.INFO, logger="revline.security")
    with time_machine.travel(T0, tick=False):
        _fail(client, "rep_a", 5, ip="10.0.0.7")
        _post_login(client, "rep_a", ip="10.0.0.7")

    records = [r for r in caplog.records if r.name == "revline.security"]
    assert [r.event for r in records] == ["login_failed"] * 5 + ["login_locked", "login_refused"]
    assert {r.ip for r in records} == {"10.0.0.7"}
    assert {r.username for r in records} == {"rep_a"}


# --- identical answers --------------------------------------------------------------------


def test_wrong_password_and_unknown_user_get_identical_pages(client, rep_a):
    known = _post_login(client, "someone", ip="10.0.0.1")
    rep = _post_login(client, "rep_a", ip="10.0.0.2")

    assert known.status_code == rep.status_code == 200
    assert _normalized(known.content.decode(), "someone") == _normalized(
        rep.content.decode(), "rep_a"
    )


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client, rep_a):
    known = client.post("/password-reset/", {"email": "rep_a@example.com"})
    unknown = client.post("/password-reset/", {"email": "stranger@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/password-reset/sent/"
    assert known.content == unknown.content == b""


def test_password_reset_queues_the_email_instead_of_sending_it_during_the_request(
    client, rep_a, settings, mailoutbox
):
    # Given the real database task queue (a worker sends the email later)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    # When
    client.post("/password-reset/", {"email": "rep_a@example.com"})
    client.post("/password-reset/", {"email": "stranger@example.com"})

    # Then nothing was sent during the requests, one task waits, and it holds no token
    assert mailoutbox == []
    tasks = list(DBTaskResult.objects.all())
    assert len(tasks) == 1
    assert tasks[0].args_kwargs == {"args": [rep_a.pk, "testserver", False], "kwargs": {}}


# --- sessions and cookies -----------------------------------------------------------------


def test_login_gives_a_new_session_key(client, rep_a):
    # Given an anonymous session (for example one planted by an attacker)
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key

    # When
    _post_login(client, "rep_a", PASSWORD)

    # Then
    after = client.session.session_key
    assert after != before
    assert client.session.get("_auth_user_id") == str(rep_a.pk)
    assert not client.session.exists(before)


def _load_settings(monkeypatch, tmp_path, **env: str) -> ModuleType:
    monkeypatch.setenv("REVLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REVLINE_SECRET_KEY", "test-key")
    for name in ("REVLINE_HTTPS", "REVLINE_SESSION_HOURS", "REVLINE_HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import revline.settings as production

    spec = importlib.util.spec_from_file_location("settings_under_test", production.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cookie_settings_without_https(monkeypatch, tmp_path):
    loaded = _load_settings(monkeypatch, tmp_path)

    assert loaded.SESSION_COOKIE_HTTPONLY is True
    assert loaded.SESSION_COOKIE_SAMESITE == "Lax"
    assert loaded.CSRF_COOKIE_SAMESITE == "Lax"
    assert loaded.SESSION_COOKIE_AGE == 24 * 3600
    assert not hasattr(loaded, "SESSION_COOKIE_SECURE")
    assert not hasattr(loaded, "SECURE_HSTS_SECONDS")


def test_https_turns_on_secure_cookies_and_hsts(monkeypatch, tmp_path):
    loaded = _load_settings(monkeypatch, tmp_path, REVLINE_HTTPS="1", REVLINE_SESSION_HOURS="8")

    assert loaded.SESSION_COOKIE_SECURE is True
    assert loaded.CSRF_COOKIE_SECURE is True
    assert loaded.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert loaded.SECURE_HSTS_SECONDS == 365 * 24 * 3600
    assert loaded.SECURE_HSTS_INCLUDE_SUBDOMAINS is False
    assert loaded.SESSION_COOKIE_AGE == 8 * 3600


@pytest.mark.django_db
def test_hsts_header_is_sent_on_https_requests(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000

    response = client.get("/login/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_session_cookie_is_http_only_and_same_site(client, rep_a):
    _post_login(client, "rep_a", PASSWORD)

    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
