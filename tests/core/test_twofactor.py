"""Optional TOTP two-factor authentication: enrol, confirm, sign in with a code or a recovery
code, lockout on wrong codes, and turning it off."""

import html
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.test import Client

from revline.core.models import TwoFactorDevice, User
from revline.core.twofactor_services import twofactor_begin, twofactor_confirm

from ..conftest import PASSWORD

T0 = datetime.now(UTC).replace(microsecond=0)


def _code(device: TwoFactorDevice, at: datetime, steps_later: int = 0) -> str:
    totp = pyotp.TOTP(device.secret)
    return totp.generate_otp(totp.timecode(at) + steps_later)


@pytest.fixture
def enrolled(rep_a: User) -> tuple[TwoFactorDevice, list[str]]:
    device = twofactor_begin(user=rep_a)
    with time_machine.travel(T0 - timedelta(minutes=5), tick=False):
        codes = twofactor_confirm(user=rep_a, code=pyotp.TOTP(device.secret).now())
    device.refresh_from_db()
    return device, codes


def _password_step(client: Client, username: str = "rep_a", **extra: str):
    return client.post("/login/", {"username": username, "password": PASSWORD, **extra})


def _signed_in(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_enrolment_shows_the_key_then_turns_on_with_a_code(client, rep_a):
    client.force_login(rep_a)

    # When the user starts the set-up
    started = client.post("/settings/security/", {"action": "begin"})
    page = client.get("/settings/security/").content.decode()

    # Then the key and the otpauth link are shown, and log-in does not ask for a code yet
    device = TwoFactorDevice.objects.get(user=rep_a)
    assert started.status_code == 302
    assert device.confirmed_at is None
    assert device.secret in page
    uri = f"otpauth://totp/Revline:rep_a%40example.com?secret={device.secret}&issuer=Revline"
    assert html.escape(uri) in page
    assert 'src="data:image/svg+xml' in page

    # When they confirm with a code from their app
    with time_machine.travel(T0, tick=False):
        done = client.post("/settings/security/", {"action": "confirm", "code": _code(device, T0)})

    # Then it is on, and eight recovery codes are shown once and stored only as digests
    device.refresh_from_db()
    assert done.status_code == 200
    assert device.confirmed_at is not None
    codes = done.context["recovery_codes"]
    assert len(codes) == 8
    assert len(set(codes)) == 8
    for code in codes:
        assert code in done.content.decode()
        assert code not in str(device.recovery_codes)
    assert "Save these recovery codes now" in done.content.decode()
    assert "Save these recovery codes now" not in client.get("/settings/security/").content.decode()


def test_a_wrong_confirmation_code_leaves_two_factor_off(client, rep_a):
    client.force_login(rep_a)
    client.post("/settings/security/", {"action": "begin"})

    response = client.post("/settings/security/", {"action": "confirm", "code": "000000"})

    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert TwoFactorDevice.objects.get(user=rep_a).confirmed_at is None
    assert _password_step(Client()).status_code == 302


def test_unconfirmed_set_up_does_not_change_log_in(client, rep_a):
    twofactor_begin(user=rep_a)

    response = _password_step(client)

    assert response["Location"] == "/"
    assert _signed_in(client) == str(rep_a.pk)


def test_security_page_needs_a_signed_in_user(client):
    response = client.get("/settings/security/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/settings/security/"


def test_log_in_asks_for_a_code_after_the_password(client, rep_a, enrolled):
    device, _ = enrolled
    with time_machine.travel(T0, tick=False):
        # When the password is right
        first = _password_step(client, next="/reports/attribution/")

        # Then nobody is signed in yet: a code is asked for
        assert first.status_code == 302
        assert first["Location"] == "/login/verify/"
        assert _signed_in(client) is None
        assert client.get("/").status_code == 302
        anonymous_key = client.session.session_key

        # When the code is right
        second = client.post("/login/verify/", {"code": _code(device, T0)})

        # Then the user is signed in, in a new session, and sent where they were going
        assert second.status_code == 302
        assert second["Location"] == "/reports/attribution/"
        assert _signed_in(client) == str(rep_a.pk)
        assert client.session.session_key != anonymous_key


def test_a_code_cannot_be_used_twice(client, rep_a, enrolled):
    device, _ = enrolled
    with time_machine.travel(T0, tick=False):
        code = _code(device, T0)
        _password_step(client)
        assert client.post("/login/verify/", {"code": code}).status_code == 302

        other = Client()
        _password_step(other)
        replay = other.post("/login/verify/", {"code": code})

    assert replay.status_code == 200
    assert "That code is not valid." in replay.content.decode()
    assert _signed_in(other) is None


def test_a_recovery_code_works_once(client, rep_a, enrolled):
    device, codes = enrolled

    # When a recovery code is used (typed in capitals, with spaces)
    _password_step(client)
    used = client.post("/login/verify/", {"code": " " + codes[3].upper() + " "})

    # Then it signs in, and is spent
    assert used.status_code == 302
    assert _signed_in(client) == str(rep_a.pk)
    device.refresh_from_db()
    assert len(device.recovery_codes) == 7

    other = Client()
    _password_step(other)
    again = other.post("/login/verify/", {"code": codes[3]})
    assert again.status_code == 200
    assert _signed_in(other) is None
    device.refresh_from_db()
    assert len(device.recovery_codes) == 7


def test_wrong_codes_count_toward_the_lockout(client, rep_a, enrolled):
    device, _ = enrolled
    with time_machine.travel(T0, tick=False):
        _password_step(client)
        for _ in range(4):
            wrong = client.post("/login/verify/", {"code": "123456"})
            assert wrong.status_code == 200

        # A fresh password step does not give fresh attempts at the code
        assert _password_step(client)["Location"] == "/login/verify/"
        locked = client.post("/login/verify/", {"code": "654321"})
        assert locked.status_code == 429
        assert "Too many failed attempts. Please try again in 1 minute." in locked.content.decode()

        # Then even the right code, and the password step, are refused while locked
        right = client.post("/login/verify/", {"code": _code(device, T0)})
        assert right.status_code == 429
        assert _signed_in(client) is None
        assert _password_step(Client()).status_code == 429


def test_code_page_without_a_password_step_goes_back_to_sign_in(client, rep_a, enrolled):
    device, _ = enrolled

    response = client.post("/login/verify/", {"code": _code(device, datetime.now(UTC))})

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert _signed_in(client) is None


def test_password_step_expires_after_five_minutes(client, rep_a, enrolled):
    device, _ = enrolled
    with time_machine.travel(T0, tick=False) as clock:
        _password_step(client)
        clock.shift(timedelta(minutes=6))

        late = client.post("/login/verify/", {"code": _code(device, T0 + timedelta(minutes=6))})

    assert late["Location"] == "/login/"
    assert _signed_in(client) is None


def test_turning_off_needs_the_password_and_a_code(client, rep_a, enrolled):
    device, _ = enrolled
    client.force_login(rep_a)
    with time_machine.travel(T0, tick=False):
        wrong_password = client.post(
            "/settings/security/",
            {"action": "disable", "password": "nope", "code": _code(device, T0)},
        )
        wrong_code = client.post(
            "/settings/security/", {"action": "disable", "password": PASSWORD, "code": "000000"}
        )
        assert TwoFactorDevice.objects.filter(user=rep_a).exists()
        assert "The password is not correct." in wrong_password.content.decode()
        assert "That code is not valid." in wrong_code.content.decode()

        done = client.post(
            "/settings/security/",
            {"action": "disable", "password": PASSWORD, "code": _code(device, T0)},
        )

    assert done.status_code == 302
    assert not TwoFactorDevice.objects.filter(user=rep_a).exists()
    assert _password_step(Client())["Location"] == "/"
