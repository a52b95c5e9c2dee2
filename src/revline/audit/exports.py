"""The audit log as CSV, streamed with the people exports' formula-safe writer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from revline.people.exports import CHUNK_SIZE, csv_lines, csv_response

from .models import AuditEntry

COLUMNS = (
    "occurred_at", "actor", "action", "object_type", "object_id", "object_label", "changes",
    "ip", "request_id",
)  # fmt: skip


def audit_rows(entries: QuerySet[AuditEntry]) -> Iterator[list[Any]]:
    for e in entries.order_by("-occurred_at", "-pk").iterator(chunk_size=CHUNK_SIZE):
        yield [
            e.occurred_at.isoformat(), e.actor_label, e.action, e.object_type, e.object_id,
            e.object_label, json.dumps(e.changes, ensure_ascii=False, sort_keys=True),
            e.ip or "", e.request_id,
        ]  # fmt: skip


def audit_csv_response(*, entries: QuerySet[AuditEntry], query: str = "") -> StreamingHttpResponse:
    if query:
        entries = entries.filter(Q(object_label__icontains=query) | Q(object_id__icontains=query))
    filename = f"audit-log-{timezone.localdate().isoformat()}.csv"
    return csv_response(csv_lines(COLUMNS, audit_rows(entries)), filename)
