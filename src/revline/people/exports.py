"""CSV exports of contact and company lists, streamed row by row.

Cells a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return) get a leading single quote, so an exported list cannot attack whoever opens it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from revline.core.api_support import HIDDEN_NAMES
from revline.core.models import User
from revline.core.visibility import visible_companies, visible_contacts, with_hidden_flags

from .models import Company, Contact

CHUNK_SIZE = 2000
CONTACT_COLUMNS = (
    "id", "first_name", "last_name", "email", "phone", "title", "company", "country",
    "lifecycle_stage", "tags", "owner", "created_at",
)  # fmt: skip
COMPANY_COLUMNS = (
    "id", "name", "domain", "industry", "size", "country", "phone", "tags", "owner", "created_at",
)  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """The cell as text, with a leading quote if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Echo:
    """csv.writer needs a file; this one hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(list(header))  # a BOM, so Excel reads UTF-8
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def _user_name(user: Any) -> str:
    return str(user) if user is not None else ""


def _company_name(contact: Contact) -> str:
    if contact.company is None:
        return ""
    return (
        HIDDEN_NAMES["company"]
        if getattr(contact, "company_hidden", False)
        else contact.company.name
    )


def contact_rows(contacts: QuerySet[Contact]) -> Iterator[list[Any]]:
    queryset = contacts.select_related("company", "owner").prefetch_related("tags")
    for c in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield [
            c.pk, c.first_name, c.last_name, c.email, c.phone, c.title,
            _company_name(c), c.country, c.lifecycle_stage,
            ", ".join(sorted(t.name for t in c.tags.all())), _user_name(c.owner),
            c.created_at.isoformat(),
        ]  # fmt: skip


def company_rows(companies: QuerySet[Company]) -> Iterator[list[Any]]:
    queryset = companies.select_related("owner").prefetch_related("tags")
    for c in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield [
            c.pk, c.name, c.domain, c.industry, c.size, c.country, c.phone,
            ", ".join(sorted(t.name for t in c.tags.all())), _user_name(c.owner),
            c.created_at.isoformat(),
        ]  # fmt: skip


def csv_response(lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "export.csv"
    if not safe.lower().endswith(".csv"):
        safe += ".csv"
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def contacts_csv_response(
    *, contacts: QuerySet[Contact], viewer: User, filename: str
) -> StreamingHttpResponse:
    """Stream the contacts `viewer` may see (core.visibility) as CSV (CONTACT_COLUMNS), in the
    queryset's order. Filtering here as well means no export can forget it; the queryset is read
    in chunks of CHUNK_SIZE, so memory stays flat however long the list is."""
    rows = contact_rows(
        with_hidden_flags(visible_contacts(contacts, viewer), viewer, company="company")
    )
    return csv_response(csv_lines(CONTACT_COLUMNS, rows), filename)


def companies_csv_response(
    *, companies: QuerySet[Company], viewer: User, filename: str
) -> StreamingHttpResponse:
    rows = company_rows(visible_companies(companies, viewer))
    return csv_response(csv_lines(COMPANY_COLUMNS, rows), filename)
