"""Signing, retry policy and the HTTP request of a webhook delivery.

Pure functions (signature, backoff, outcome) have no ORM; `http_post` is the only network code.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import urllib3

from .ssrf import Destination

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=6)
RETRY_WINDOW = timedelta(days=3)
SIGNATURE_TOLERANCE_SECONDS = 300
USER_AGENT = "Revline-Webhooks/1"


def body_encode(*, event_id: str, event_type: str, occurred_at: datetime, data: Any) -> bytes:
    document = {
        "id": event_id,
        "type": event_type,
        "occurred_at": occurred_at.isoformat(),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The Revline-Signature header value: v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))."""
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_verify(
    *, secret: str, header: str, timestamp: str, body: bytes, now: float, tolerance: int = 300
) -> bool:
    """The check a receiver makes (docs/webhooks.md): right signature, timestamp not too old."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=sent_at, body=body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


def signature_header(*, secrets: list[str], timestamp: int, body: bytes) -> str:
    """One `v1=` value per secret, comma-separated: the current secret first, then the one it
    replaced while its grace period lasts. A receiver accepts the request if any value matches."""
    return ",".join(signature(secret=s, timestamp=timestamp, body=body) for s in secrets)


def headers_build(
    *,
    event_id: str,
    event_type: str,
    timestamp: int,
    secret: str,
    body: bytes,
    attempt: int,
    previous_secret: str = "",
) -> dict[str, str]:
    secrets = [secret, previous_secret] if previous_secret else [secret]
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Revline-Event-Id": event_id,
        "Revline-Event-Type": event_type,
        "Revline-Timestamp": str(timestamp),
        "Revline-Signature": signature_header(secrets=secrets, timestamp=timestamp, body=body),
        "Revline-Delivery-Attempt": str(attempt),
    }


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 1 min, 2, 4, 8 … at most 6 hours."""
    exponent = max(attempts - 1, 0)
    if exponent > 20:
        return MAX_RETRY_DELAY
    return min(FIRST_RETRY * (2**exponent), MAX_RETRY_DELAY)


def retry_after_parse(value: str | None, *, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a delay; None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


@dataclass(frozen=True)
class Outcome:
    status: str  # a DeliveryStatus value
    next_attempt_at: datetime | None = None


def outcome_decide(
    *,
    status_code: int | None,
    attempts: int,
    first_attempt_at: datetime,
    now: datetime,
    retry_after: timedelta | None = None,
) -> Outcome:
    """What follows an attempt. `status_code` None means a timeout or a connection error.

    2xx delivered; 5xx, 429 and network errors retried (429 and 503 after Retry-After when
    given) until 3 days after the first attempt, then dead; anything else (4xx, 3xx) failed.
    """
    if status_code is not None and 200 <= status_code < 300:
        return Outcome("delivered")
    retryable = status_code is None or status_code == 429 or status_code >= 500
    if not retryable:
        return Outcome("failed")
    delay = retry_delay(attempts)
    if retry_after is not None and status_code in (429, 503):
        delay = min(max(retry_after, timedelta(seconds=1)), MAX_RETRY_DELAY)
    next_at = now + delay
    if next_at > first_attempt_at + RETRY_WINDOW:
        return Outcome("dead")
    return Outcome("pending", next_at)


@dataclass(frozen=True)
class Response:
    status_code: int | None
    error: str
    retry_after: str | None


def http_post(
    *, destination: Destination, body: bytes, headers: dict[str, str], timeout: float
) -> Response:
    """POST to the checked address (never resolving the name again), sending the name as Host
    header and TLS server name. No redirects are followed, no retries here."""
    default_port = 443 if destination.scheme == "https" else 80
    host_header = f"[{destination.host}]" if ":" in destination.host else destination.host
    if destination.port != default_port:
        host_header = f"{host_header}:{destination.port}"
    pool_kwargs: dict[str, Any] = {
        "port": destination.port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
    }
    pool: urllib3.HTTPConnectionPool
    if destination.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            destination.address,
            server_hostname=destination.host,
            assert_hostname=destination.host,
            cert_reqs="CERT_REQUIRED",
            **pool_kwargs,
        )
    else:
        pool = urllib3.HTTPConnectionPool(destination.address, **pool_kwargs)
    try:
        response = pool.urlopen(
            "POST",
            destination.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            response.read(4096, decode_content=False)
        finally:
            response.release_conn()
        status = response.status
        error = "" if 200 <= status < 300 else f"HTTP {status}"
        if 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed"
        return Response(status, error, response.headers.get("Retry-After"))
    except urllib3.exceptions.TimeoutError:
        return Response(None, f"Timed out after {timeout:g} s", None)
    except urllib3.exceptions.HTTPError as exc:
        return Response(None, f"Connection failed: {type(exc).__name__}", None)
    finally:
        pool.close()
