"""Optional TOTP two-factor authentication (RFC 6238) with single-use recovery codes."""

import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from revline.audit.models import AuditAction
from revline.audit.services import audit_event

from .models import TwoFactorDevice, User

ISSUER = "Revline"
RECOVERY_CODE_COUNT = 8
# Base32 without look-alikes (0/O, 1/I/L): easy to copy from paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_digest(code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the database alone cannot test guesses.
    return salted_hmac(
        "revline.twofactor.recovery", _normalize(code), algorithm="sha256"
    ).hexdigest()


def _recovery_codes_new() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step the code belongs to, allowing one step of clock drift either way."""
    code = _normalize(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _audit_twofactor(user: User, *, on: bool) -> None:
    # Recorded on the user, so it shows in the user's history beside role changes.
    audit_event(
        action=AuditAction.SETTING_CHANGE,
        actor=user,
        object_type=user._meta.label_lower,
        object_id=user.pk,
        object_label=str(user),
        changes={"two_factor": [not on, on]},
    )


def twofactor_enabled(*, user: User) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def twofactor_device_get(*, user: User) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user).first()


def twofactor_provisioning_uri(*, device: TwoFactorDevice) -> str:
    name = device.user.email or device.user.get_username()
    return pyotp.TOTP(device.secret).provisioning_uri(name=name, issuer_name=ISSUER)


def twofactor_qr_svg_data_uri(*, device: TwoFactorDevice) -> str:
    return str(
        segno.make(twofactor_provisioning_uri(device=device), error="m").svg_data_uri(scale=4)
    )


def twofactor_begin(*, user: User) -> TwoFactorDevice:
    """Start (or restart) enrolment with a fresh secret; nothing changes at log-in until the
    user confirms a code. Refused while two-factor is on."""
    if twofactor_enabled(user=user):
        raise ValidationError("Two-factor authentication is already on.")
    device, _ = TwoFactorDevice.objects.update_or_create(
        user=user,
        defaults={
            "secret": pyotp.random_base32(),
            "confirmed_at": None,
            "last_used_step": 0,
            "recovery_codes": [],
        },
    )
    return device


@transaction.atomic
def twofactor_confirm(*, user: User, code: str) -> list[str]:
    """Turn two-factor on once the user proves their app makes valid codes; returns the
    recovery codes, which are stored only as digests and shown this once."""
    device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is not None:
        raise ValidationError("Start the set-up first.")
    step = _totp_step(device.secret, code, timezone.now())
    if step is None:
        raise ValidationError("That code is not valid. Check your device's clock and try again.")
    codes = _recovery_codes_new()
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.recovery_codes = [_recovery_digest(c) for c in codes]
    device.save(update_fields=["confirmed_at", "last_used_step", "recovery_codes"])
    _audit_twofactor(user, on=True)
    return codes


@transaction.atomic
def twofactor_verify(*, user: User, code: str) -> bool:
    """True for a current authenticator code not used before, or an unused recovery code
    (which is then spent). False, with nothing changed, for anything else."""
    device = (
        TwoFactorDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=False)
        .first()
    )
    if device is None or not code.strip():
        return False
    step = _totp_step(device.secret, code, timezone.now())
    if step is not None:
        if step <= device.last_used_step:
            return False
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return True
    digest = _recovery_digest(code)
    remaining = [d for d in device.recovery_codes if not hmac.compare_digest(d, digest)]
    if len(remaining) == len(device.recovery_codes):
        return False
    device.recovery_codes = remaining
    device.save(update_fields=["recovery_codes"])
    return True


@transaction.atomic
def twofactor_disable(*, user: User, password: str, code: str) -> None:
    """Turn two-factor off; needs the password and a valid code (or recovery code)."""
    if not user.check_password(password):
        raise ValidationError({"password": "The password is not correct."})
    if not twofactor_verify(user=user, code=code):
        raise ValidationError({"code": "That code is not valid."})
    TwoFactorDevice.objects.filter(user=user).delete()
    _audit_twofactor(user, on=False)
