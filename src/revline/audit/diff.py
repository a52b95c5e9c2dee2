"""What changed between two snapshots of a record, with secrets masked. No ORM here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MASK = "••••••"
SECRET_WORDS = ("password", "digest", "secret", "token", "recovery_codes", "api_key")


def is_secret(field: str) -> bool:
    name = field.lower()
    return any(word in name for word in SECRET_WORDS)


def masked(field: str, value: Any) -> Any:
    """The value as it may be stored in the log: secrets become MASK (empty stays empty)."""
    if is_secret(field) and value not in (None, ""):
        return MASK
    return value


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str] | None = None
) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field whose value differs; secrets show only that they
    changed. `fields` limits the comparison (default: every key of either snapshot)."""
    names = list(fields) if fields is not None else sorted(set(before) | set(after))
    changes: dict[str, list[Any]] = {}
    for name in names:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if is_secret(name):
            changes[name] = [MASK if old not in (None, "") else old, MASK]
        else:
            changes[name] = [old, new]
    return changes


def values_of(snapshot: Mapping[str, Any], *, created: bool) -> dict[str, list[Any]]:
    """A create ([None, value]) or delete ([value, None]) as changes, skipping empty values."""
    result: dict[str, list[Any]] = {}
    for name, value in sorted(snapshot.items()):
        if value in (None, "", [], {}):
            continue
        value = masked(name, value)
        result[name] = [None, value] if created else [value, None]
    return result
