"""Idempotency-Key for API writes: the first answer is kept for a day and replayed on repeats."""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ApiToken, IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers a repeat must not freeze: the caller may fix these by waiting or re-authenticating.
NOT_KEPT = frozenset({401, 403, 409, 429})


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: bytes
    content_type: str


class KeyReused(Exception):
    """The key was first used with another request."""


class KeyInFlight(Exception):
    """The first request with this key is still running."""


def request_fingerprint(*, method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def multipart_digest(
    fields: Iterable[tuple[str, list[str]]], files: Iterable[tuple[str, list[Any]]]
) -> bytes:
    """What a multipart body is fingerprinted by: its fields and its files' names and bytes.
    Uploads (up to 10 MB) are larger than Django lets `request.body` hold in memory."""
    digest = hashlib.sha256()

    def add(part: bytes) -> None:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)

    for name, values in sorted(fields):
        for value in values:
            add(name.encode())
            add(value.encode())
    for name, uploads in sorted(files, key=lambda item: item[0]):
        for upload in uploads:
            add(name.encode())
            add((upload.name or "").encode())
            add(str(upload.size).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest().encode()


def idempotency_begin(
    *, token: ApiToken, key: str, method: str, path: str, fingerprint: str
) -> IdempotencyRecord | Replay:
    """Claim the key for this request (the record to finish), or the stored answer to replay.

    Raises KeyReused or KeyInFlight. The claim commits at once so a concurrent repeat sees it."""
    IdempotencyRecord.objects.filter(
        token=token, key=key, created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                token=token, key=key, method=method, path=path[:500], body_sha256=fingerprint
            )
    except IntegrityError:
        pass
    first = IdempotencyRecord.objects.filter(token=token, key=key).first()
    if first is None:  # finished and abandoned between our insert and this read
        raise KeyInFlight
    if first.body_sha256 != fingerprint:
        raise KeyReused
    if first.status_code is None:
        raise KeyInFlight
    return Replay(
        status_code=first.status_code,
        body=bytes(first.response_body),
        content_type=first.content_type,
    )


def idempotency_finish(
    *, record: IdempotencyRecord, status_code: int, body: bytes, content_type: str
) -> None:
    """Keep the answer, or release the key when the answer should not be replayed."""
    if status_code >= 500 or status_code in NOT_KEPT:
        record.delete()
        return
    record.status_code = status_code
    record.response_body = body
    record.content_type = content_type[:100]
    record.save(update_fields=["status_code", "response_body", "content_type"])


def idempotency_purge() -> int:
    """Drop answers older than KEEP_FOR; run by the scheduler."""
    cutoff = timezone.now() - KEEP_FOR
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
