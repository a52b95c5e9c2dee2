"""The `data` of each webhook event: ids and the main fields of the record, never secrets.

Callers pass their model instances; these functions only read attributes (no queries beyond
the foreign keys already loaded), so emitting an event costs the outbox write alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    # Stored with 2 places; an in-memory value may not be quantized yet.
    return str(value.quantize(Decimal("0.01"))) if value is not None else None


def contact(contact: Any) -> dict[str, Any]:
    return {
        "contact": {
            "id": contact.pk,
            "email": contact.email,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "title": contact.title,
            "phone": contact.phone,
            "country": contact.country,
            "company_id": contact.company_id,
            "owner_id": contact.owner_id,
            "lifecycle_stage": contact.lifecycle_stage,
            "source": contact.source,
        }
    }


def lifecycle_changed(
    contact_: Any, *, from_stage: str, to_stage: str, cause: str
) -> dict[str, Any]:
    return {
        **contact(contact_),
        "from_stage": from_stage,
        "to_stage": to_stage,
        "cause": cause,
    }


def form_submitted(*, submission: Any, contact_: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "submission_id": submission.pk,
        "form_id": submission.form_id,
        "landing_page_id": submission.landing_page_id,
        "values": {str(k): str(v) for k, v in values.items()},
        **contact(contact_),
    }


def deal(deal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "deal": {
            "id": deal.pk,
            "name": deal.name,
            "pipeline_id": deal.pipeline_id,
            "stage_id": deal.stage_id,
            "stage": deal.stage.name,
            "status": deal.status,
            "amount": _money(deal.amount),
            "currency": deal.currency,
            "contact_id": deal.contact_id,
            "company_id": deal.company_id,
            "owner_id": deal.owner_id,
            "expected_close_date": _iso(deal.expected_close_date),
            "closed_at": _iso(deal.closed_at),
        },
        **extra,
    }


def quote_accepted(version: Any) -> dict[str, Any]:
    quote = version.quote
    return {
        "quote": {
            "id": quote.pk,
            "number": quote.number,
            "title": quote.title,
            "deal_id": quote.deal_id,
            "version": version.number,
            "currency": version.currency,
            "total": _money(version.total),
            "accepted_at": _iso(version.accepted_at),
            "accepted_name": version.accepted_name,
        }
    }


def email_unsubscribed(send: Any, *, via: str) -> dict[str, Any]:
    return {
        "contact_id": send.contact_id,
        "email": send.to_address,
        "email_id": send.email_id,
        "send_id": send.pk,
        "via": via,
    }
