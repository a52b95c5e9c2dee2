"""Rate limits for public endpoints, keyed by client IP (see REVLINE_TRUSTED_PROXIES)."""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django_ratelimit.decorators import ratelimit


def client_ip(request: HttpRequest) -> str:
    """The client address, trusting X-Forwarded-For only for the configured number of proxies."""
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104
    hops = settings.REVLINE_TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
    ]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return remote


def _ip_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def _public_rate(group: str, request: HttpRequest) -> str:
    return f"{settings.REVLINE_PUBLIC_RATE_LIMIT}/m"


def public_rate_limit(group: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return ratelimit(group=group, key=_ip_key, rate=_public_rate, method=ratelimit.ALL, block=True)


def _email_rate(group: str, request: HttpRequest) -> str:
    return f"{settings.REVLINE_EMAIL_RATE_LIMIT}/m"


def email_rate_limit(group: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For the links in sent emails (open pixel, clicks, one-click unsubscribe): mailbox
    providers fetch them for many recipients from a few addresses (Gmail's image proxy, Apple
    Mail Privacy Protection, Gmail's one-click POSTs), so the per-IP limit is higher."""
    return ratelimit(group=group, key=_ip_key, rate=_email_rate, method=ratelimit.ALL, block=True)


def api_token_wait_seconds(*, token_id: int) -> int:
    """Count one API call of this token in the current minute; the seconds until the next minute
    when the token has gone over REVLINE_API_RATE_LIMIT calls in it, else 0.

    The counter lives in the "ratelimit" cache: per process with the default local-memory cache,
    shared between workers when REVLINE_REDIS_URL is set."""
    now = time.time()
    key = f"api-rate:{token_id}:{int(now // 60)}"
    counter = caches["ratelimit"]
    counter.add(key, 0, timeout=120)
    try:
        calls = counter.incr(key)
    except ValueError:  # expired between add and incr
        counter.set(key, 1, timeout=120)
        calls = 1
    if calls <= settings.REVLINE_API_RATE_LIMIT:
        return 0
    return max(1, 60 - int(now % 60))
