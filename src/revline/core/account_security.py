"""Log-in lockout with growing delays, per account and per client IP, and the password reset
form that answers the same, equally fast, whether the address has an account or not.

Counters live in the default cache (the database, or Redis), which every web process shares.
They are keyed by what was typed, not by whether the account exists, so a locked unknown
username looks exactly like a locked real one.
"""

import hashlib
import logging
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import caches
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

logger = logging.getLogger("revline.security")
USERNAME_LABEL_MAX = 150

FIRST_LOCK_SECONDS = 60


@dataclass(frozen=True)
class Counter:
    failures: int
    locked_until: float


def lock_seconds(*, failures: int, limit: int, max_seconds: int) -> int:
    """The lock after `failures` failures: none below the limit, then one minute doubling with
    each further failure, never more than max_seconds."""
    if failures < limit:
        return 0
    return min(FIRST_LOCK_SECONDS * 2 ** min(failures - limit, 20), max_seconds)


def lock_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed attempts. Please try again in {minutes} {unit}."


def _account_key(username: str) -> str | None:
    normalized = username.strip().casefold()
    if not normalized:
        return None
    return "login-fail:account:" + hashlib.sha256(normalized.encode()).hexdigest()


def _ip_key(ip: str) -> str:
    return "login-fail:ip:" + hashlib.sha256(ip.encode()).hexdigest()


def _keys(username: str, ip: str) -> list[tuple[str, int]]:
    keys = [(_ip_key(ip), settings.REVLINE_LOGIN_IP_FAILURES)]
    if account := _account_key(username):
        keys.append((account, settings.REVLINE_LOGIN_ACCOUNT_FAILURES))
    return keys


def _load(key: str) -> Counter:
    raw = caches["default"].get(key)
    if not raw:
        return Counter(failures=0, locked_until=0.0)
    return Counter(failures=int(raw["failures"]), locked_until=float(raw["locked_until"]))


def login_lock_remaining(*, username: str, ip: str) -> int:
    """Seconds until a log-in for this username from this address may be tried again (0: now)."""
    now = timezone.now().timestamp()
    remaining = max(_load(key).locked_until - now for key, _ in _keys(username, ip))
    return max(0, math.ceil(remaining))


def login_failure_record(*, username: str, ip: str, stage: str) -> int:
    """Count a failed password or code for the account and the address; returns the seconds
    they are now locked for (0: not locked). A count is forgotten after a quiet window."""
    now = timezone.now().timestamp()
    window = settings.REVLINE_LOGIN_FAILURE_WINDOW * 60
    max_seconds = settings.REVLINE_LOGIN_MAX_LOCK * 60
    locked = 0
    for key, limit in _keys(username, ip):
        failures = _load(key).failures + 1
        seconds = lock_seconds(failures=failures, limit=limit, max_seconds=max_seconds)
        caches["default"].set(
            key, {"failures": failures, "locked_until": now + seconds}, timeout=window + seconds
        )
        locked = max(locked, seconds)
    logger.warning(
        "login failed",
        extra={"event": "login_failed", "username": username, "ip": ip, "stage": stage},
    )
    _audit_login(username=username, ip=ip, failed=True, details={"stage": stage})
    if locked:
        logger.warning(
            "login locked for %s s",
            locked,
            extra={"event": "login_locked", "username": username, "ip": ip, "seconds": locked},
        )
    return locked


def _audit_login(*, username: str, ip: str, failed: bool, details: dict[str, Any]) -> None:
    """One audit entry per sign-in or failed attempt, on the account when the name is one (the
    same single query whether it is or not)."""
    from revline.audit.models import AuditAction
    from revline.audit.services import audit_event

    user = get_user_model().objects.filter(username=username.strip()).first() if username else None
    audit_event(
        action=AuditAction.LOGIN_FAILED if failed else AuditAction.LOGIN,
        actor=None if failed else user,
        actor_label=username.strip()[:USERNAME_LABEL_MAX] or "(no username)",
        object_type="core.user" if user is not None else "",
        object_id=user.pk if user is not None else "",
        object_label=str(user) if user is not None else "",
        changes=details,
        ip=ip,
    )


def login_refused_record(*, username: str, ip: str, seconds: int) -> None:
    logger.warning(
        "login refused while locked",
        extra={"event": "login_refused", "username": username, "ip": ip, "seconds": seconds},
    )
    _audit_login(username=username, ip=ip, failed=True, details={"stage": "locked"})


def login_success_record(*, username: str, ip: str) -> None:
    """Clear the account's failures. The address keeps its count: one valid account must not
    let a guesser reset the limit for all the others."""
    if account := _account_key(username):
        caches["default"].delete(account)
    logger.info(
        "login succeeded", extra={"event": "login_succeeded", "username": username, "ip": ip}
    )
    _audit_login(username=username, ip=ip, failed=False, details={})


@task()
def password_reset_send(user_id: int, domain: str, use_https: bool) -> None:
    """Send one reset email. The token is made here, so it is never stored in the task queue."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password() or not user.email:
        return
    context: dict[str, Any] = {
        "email": user.email,
        "domain": domain,
        "site_name": domain,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
    }
    PasswordResetForm().send_mail(
        "registration/password_reset_subject.txt",
        "registration/password_reset_email.html",
        context,
        None,
        user.email,
    )


class BackgroundPasswordResetForm(PasswordResetForm):
    """Queues the email instead of talking to the mail server during the request: a known
    address must not answer slower than an unknown one."""

    def save(
        self,
        domain_override: str | None = None,
        *args: Any,
        use_https: bool = False,
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        domain = domain_override or (request.get_host() if request is not None else "")
        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_send.enqueue(user.pk, domain, use_https)
