"""Keyset ("cursor") pagination for API lists: the next page starts after the last row's sort
values, so pages stay correct while rows are added and cost the same at any depth.

NULLs sort as the smallest value on every database (first ascending, last descending), so the
same cursor means the same place on SQLite and PostgreSQL."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import F, Model, OrderBy, Q, QuerySet

SALT = "revline.api.cursor"

SortKey = tuple[str, bool]  # (field path, descending)


class CursorInvalid(ValueError):
    pass


def sort_keys(queryset: QuerySet[Any]) -> list[SortKey] | None:
    """The queryset's ordering with the primary key as the last tie-break, or None when it
    orders by something a cursor cannot follow (an expression, random order)."""
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering or [])
    keys: list[SortKey] = []
    for entry in ordering:
        if not isinstance(entry, str) or entry == "?":
            return None
        name = entry.lstrip("-")
        keys.append(
            ("pk" if name in ("id", queryset.model._meta.pk.name) else name, entry[:1] == "-")
        )
    if not any(name == "pk" for name, _ in keys):
        keys.append(("pk", keys[-1][1] if keys else False))
    return keys


def ordered(queryset: QuerySet[Any], keys: list[SortKey]) -> QuerySet[Any]:
    return queryset.order_by(
        *[
            OrderBy(F(name), descending=True, nulls_last=True)
            if descending
            else OrderBy(F(name), nulls_first=True)
            for name, descending in keys
        ]
    )


def row_values(row: Model, keys: list[SortKey]) -> list[Any]:
    values = []
    for name, _ in keys:
        value: Any = row
        for part in name.split("__"):
            value = None if value is None else getattr(value, part)
        values.append(value.pk if isinstance(value, Model) else value)
    return values


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": "dt", "v": value.isoformat()}
    if isinstance(value, date):
        return {"t": "d", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {"t": "dec", "v": str(value)}
    if isinstance(value, uuid.UUID):
        return {"t": "uuid", "v": str(value)}
    return value


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    kind, text = value.get("t"), str(value.get("v"))
    try:
        if kind == "dt":
            return datetime.fromisoformat(text)
        if kind == "d":
            return date.fromisoformat(text)
        if kind == "dec":
            return Decimal(text)
        if kind == "uuid":
            return uuid.UUID(text)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise CursorInvalid from exc
    raise CursorInvalid


def cursor_encode(keys: list[SortKey], values: list[Any]) -> str:
    return signing.dumps(
        {"k": [[name, descending] for name, descending in keys], "v": [_encode(v) for v in values]},
        salt=SALT,
        compress=True,
    )


def cursor_decode(cursor: str, keys: list[SortKey]) -> list[Any]:
    """The sort values a cursor carries; CursorInvalid if it was altered or made for another
    sort order."""
    try:
        payload = signing.loads(cursor, salt=SALT)
    except (signing.BadSignature, ValueError) as exc:
        raise CursorInvalid("This cursor is not valid; start again without one.") from exc
    if [tuple(k) for k in payload.get("k", [])] != [tuple(k) for k in keys]:
        raise CursorInvalid("This cursor belongs to another sort order; start again without one.")
    values = payload.get("v")
    if not isinstance(values, list) or len(values) != len(keys):
        raise CursorInvalid("This cursor is not valid; start again without one.")
    return [_decode(v) for v in values]


def _after(name: str, descending: bool, value: Any) -> Q | None:
    if descending:
        return (
            None if value is None else Q(**{f"{name}__lt": value}) | Q(**{f"{name}__isnull": True})
        )
    return Q(**{f"{name}__isnull": False}) if value is None else Q(**{f"{name}__gt": value})


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def after_filter(keys: list[SortKey], values: list[Any]) -> Q:
    """Rows strictly after the given sort values, in the order `keys` describe."""
    condition = Q(pk__in=[])
    for index, (name, descending) in enumerate(keys):
        step = _after(name, descending, values[index])
        if step is None:
            continue
        for earlier, (earlier_name, _) in enumerate(keys[:index]):
            step &= _equal(earlier_name, values[earlier])
        condition |= step
    return condition
