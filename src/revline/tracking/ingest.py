"""Storing a validated snippet batch (see collect.py): one transaction, multi-row INSERTs.

/t/collect is the busiest endpoint, so this module trades the ORM's convenience for speed where
the benchmark (bench/collect.py, docs/performance.md) showed it matters:

- the touchpoints go in with `INSERT … ON CONFLICT (event_id) DO NOTHING`, whose row count
  says how many were new: exact on SQLite and PostgreSQL, even when two copies of a batch race
  (SQLite: multi-row VALUES; PostgreSQL: the batch as one JSON value, see _insert_postgresql);
- the visitor is read and created with plain SQL;
- campaign and content-item lookups are remembered per process for LOOKUP_TTL seconds, so a new
  or renamed campaign is matched at most that much later (a deleted one is noticed at once:
  the insert fails, the lookups are forgotten, and the batch is stored again).
"""

import json
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from revline.content.library_selectors import content_item_for_url, content_url_key
from revline.leads.scoring_services import kinds_scored, touchpoints_score

from .collect import UTM_KEYS, Batch, Event
from .models import Touchpoint, Visitor
from .services import campaign_for_utm

# A visitor's last_seen_at is refreshed at most this often: saves a write on most batches.
LAST_SEEN_PRECISION = timedelta(minutes=1)
LOOKUP_TTL = 30.0
LOOKUP_MAX_ENTRIES = 2000
INSERT_CHUNK = 25


@dataclass(frozen=True)
class CollectResult:
    accepted: int
    duplicates: int


class _TTLCache:
    """A small per-process memo whose entries expire; thread-safe enough for gunicorn threads."""

    def __init__(self, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], object]) -> object:
        now = time.monotonic()
        found = self._data.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = compute()
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_campaigns = _TTLCache(LOOKUP_TTL, LOOKUP_MAX_ENTRIES)
_content_items = _TTLCache(LOOKUP_TTL, LOOKUP_MAX_ENTRIES)


def lookups_clear() -> None:
    """Forget remembered campaign and content-item lookups (tests call this between cases)."""
    _campaigns.clear()
    _content_items.clear()


def _campaign(utm: dict[str, str]) -> tuple[int | None, str]:
    """(campaign id, channel) for the UTM values; (None, "") when no single campaign matches."""
    if not utm.get("utm_campaign"):
        return None, ""
    key = (utm["utm_campaign"].lower(), utm.get("utm_source", "").lower())

    def lookup() -> tuple[int | None, str]:
        campaign = campaign_for_utm(utm)
        return (campaign.pk, campaign.channel) if campaign else (None, "")

    return _campaigns.get(key, lookup)  # type: ignore[return-value]


_page_key = lru_cache(maxsize=4096)(content_url_key)


def _content_item_id(url: str) -> int | None:
    key = _page_key(url)
    if key is None:
        return None

    def lookup() -> int | None:
        item = content_item_for_url(url)
        return item.pk if item else None

    return _content_items.get(key, lookup)  # type: ignore[return-value]


def _field(model: type[Touchpoint] | type[Visitor], name: str) -> "models.Field[Any, Any]":
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field


def _column(model: type[Touchpoint] | type[Visitor], name: str) -> str:
    return connection.ops.quote_name(_field(model, name).column or name)


def _quoted(model: type[Touchpoint] | type[Visitor], *names: str) -> tuple[str, list[str]]:
    table = connection.ops.quote_name(model._meta.db_table)
    return table, [_column(model, name) for name in names]


def _visitor_key(visitor_id: uuid.UUID) -> Any:
    """The id as the database driver takes it (a UUID, or hex text on SQLite)."""
    return Visitor._meta.get_field("id").get_db_prep_value(visitor_id, connection)


@cache
def _visitor_sql(vendor: str) -> tuple[str, str, str]:
    """The visitor's SELECT, INSERT and UPDATE for this database (built once per process)."""
    table, (pk, contact, first, last) = _quoted(
        Visitor, "id", "contact", "first_seen_at", "last_seen_at"
    )
    return (
        f"SELECT {contact}, {last} < %s FROM {table} WHERE {pk} = %s",  # noqa: S608
        # ON CONFLICT: two first batches of one browser may race; both then store.
        f"INSERT INTO {table} ({pk}, {contact}, {first}, {last}) "  # noqa: S608
        f"VALUES (%s, NULL, %s, %s) ON CONFLICT ({pk}) DO NOTHING",
        f"UPDATE {table} SET {last} = %s WHERE {pk} = %s",  # noqa: S608
    )


def _visitor_contact_id(
    *, visitor_id: uuid.UUID, first_seen: datetime, now: datetime
) -> int | None:
    """Create the visitor if new, refresh last_seen_at; the contact it is identified as, if any."""
    select, insert, update = _visitor_sql(connection.vendor)
    key = _visitor_key(visitor_id)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(select, [adapt(now - LAST_SEEN_PRECISION), key])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(insert, [key, adapt(first_seen), adapt(now)])
            return None
        contact_id, stale = row
        if stale:
            cursor.execute(update, [adapt(now), key])
        return contact_id


_TOUCHPOINT_FIELDS = (
    "kind", "occurred_at", "visitor", "contact", "campaign", "content_item", "event_id",
    "channel", *UTM_KEYS, "url", "referrer", "user_agent", "params",
)  # fmt: skip


def _params(event: Event) -> dict[str, object]:
    params: dict[str, object] = {}
    if event.title:
        params["title"] = event.title
    if event.label:
        params["label"] = event.label
    for key, value in event.props.items():
        params[f"prop_{key}"] = value
    return params


def _rows(*, batch: Batch, contact_id: int | None, user_agent: str) -> list[list[Any]]:
    """One list of values per event, in _TOUCHPOINT_FIELDS order, not yet adapted for a driver."""
    rows = []
    # A batch mostly repeats one page and one set of UTM values: look each up once.
    campaigns: dict[tuple[str, ...], tuple[int | None, str]] = {}
    items: dict[str, int | None] = {}
    for event in batch.events:
        utm_key = tuple(event.utm.get(key, "") for key in UTM_KEYS)
        found = campaigns.get(utm_key)
        if found is None:
            found = campaigns[utm_key] = _campaign(event.utm)
        campaign_id, channel = found
        if event.url in items:
            item_id = items[event.url]
        else:
            item_id = items[event.url] = _content_item_id(event.url)
        rows.append([
            event.kind, event.occurred_at, batch.visitor_id, contact_id, campaign_id,
            item_id, event.id, channel, *utm_key,
            event.url, event.referrer, user_agent, _params(event),
        ])  # fmt: skip
    return rows


@cache
def _insert_values_sql(vendor: str, count: int) -> str:
    """`INSERT … VALUES` of `count` rows for this database (built once per process and size)."""
    table, columns = _quoted(Touchpoint, *_TOUCHPOINT_FIELDS)
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 (names from _meta)
        + ", ".join([placeholders] * count)
        + f" ON CONFLICT ({_column(Touchpoint, 'event_id')}) DO NOTHING"
    )


def _time_adapter() -> Callable[[datetime], Any]:
    """The driver value of a datetime: Django's adapter, or for the common case on SQLite (an
    aware UTC value, a UTC connection) the same text made directly, without its checks."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or connection.timezone_name != "UTC":
        return adapt

    def adapt_utc(value: datetime) -> Any:
        if value.tzinfo is UTC:
            return str(value.replace(tzinfo=None))
        return adapt(value)

    return adapt_utc


def _insert_values(rows: list[list[Any]]) -> int:
    """Multi-row `INSERT … VALUES`, 25 rows a statement: far cheaper than one statement a row."""
    adapt_time = _time_adapter()
    visitor_key = _visitor_key(rows[0][2])
    for row in rows:
        row[1], row[2], row[-1] = adapt_time(row[1]), visitor_key, json.dumps(row[-1])
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            cursor.execute(
                _insert_values_sql(connection.vendor, len(chunk)),
                [value for row in chunk for value in row],
            )
            inserted += cursor.rowcount
    return inserted


@cache
def _insert_postgresql_sql() -> tuple[str, tuple[str, ...]]:
    """The JSON-recordset INSERT and the JSON keys of a row (built once per process)."""
    table, columns = _quoted(Touchpoint, *_TOUCHPOINT_FIELDS)
    fields = [_field(Touchpoint, name) for name in _TOUCHPOINT_FIELDS]
    record = ", ".join(
        f"{column} {field.db_type(connection)}"
        for column, field in zip(columns, fields, strict=True)
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names and types from _meta)
        f"SELECT {', '.join('r.' + column for column in columns)} "
        f"FROM jsonb_to_recordset(%s::jsonb) AS r({record}) "
        f"ON CONFLICT ({_column(Touchpoint, 'event_id')}) DO NOTHING"
    )
    return sql, tuple(field.column or "" for field in fields)


def _insert_postgresql(rows: list[list[Any]]) -> int:
    """The whole batch as one JSON parameter that PostgreSQL expands into rows.

    Measured 2.4 times faster than _insert_values there: psycopg re-parses any statement with
    more than 50 placeholders on every call, and this one has a single placeholder.
    """
    sql, names = _insert_postgresql_sql()
    visitor = str(rows[0][2])
    for row in rows:
        row[1], row[2] = row[1].isoformat(), visitor
    payload = json.dumps([dict(zip(names, row, strict=True)) for row in rows])
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])
        return cursor.rowcount


def visitor_merge(*, into_id: uuid.UUID, other_id: uuid.UUID, contact_id: int | None) -> int | None:
    """Move the other visitor's touchpoints (the ad click that brought this browser to the site)
    to this visitor, and take its contact when this one has none. Returns the contact id now in
    force. Rare (once per visitor who clicks a tracked link), so the ORM is fine here."""
    other = Visitor.objects.filter(pk=other_id).first()
    if other is None:
        return contact_id
    kinds = kinds_scored()
    attached: list[int] = []
    if contact_id is None and other.contact_id is not None:
        contact_id = other.contact_id
        Visitor.objects.filter(pk=into_id).update(contact_id=contact_id)
        anonymous = Touchpoint.objects.filter(visitor_id=into_id, contact__isnull=True)
        attached += anonymous.filter(kind__in=kinds).values_list("pk", flat=True)
        anonymous.update(contact_id=contact_id)
    moved = Touchpoint.objects.filter(visitor_id=other_id)
    if contact_id is not None:
        anonymous = moved.filter(contact__isnull=True)
        attached += anonymous.filter(kind__in=kinds).values_list("pk", flat=True)
        anonymous.update(contact_id=contact_id)
    moved.update(visitor_id=into_id)
    if attached:
        touchpoints_score(touchpoint_ids=attached)
    return contact_id


def _insert_touchpoints(*, batch: Batch, contact_id: int | None, user_agent: str) -> int:
    """Insert the batch's events, skipping ids already stored; returns how many were inserted."""
    rows = _rows(batch=batch, contact_id=contact_id, user_agent=user_agent)
    if connection.vendor == "postgresql":
        return _insert_postgresql(rows)
    return _insert_values(rows)


def _score(*, batch: Batch, contact_id: int) -> None:
    """Lead scoring for an identified visitor's new events; nothing when no active engagement
    rule is about their kinds (the rules are remembered per process)."""
    kinds = kinds_scored()
    event_ids = [event.id for event in batch.events if event.kind in kinds]
    if event_ids:
        touchpoints_score(
            touchpoints=list(
                Touchpoint.objects.filter(event_id__in=event_ids, contact_id=contact_id).only(
                    "id", "kind", "occurred_at", "contact_id", "campaign_id", "url", "params"
                )
            )
        )


def _store(*, batch: Batch, user_agent: str, now: datetime) -> CollectResult:
    with transaction.atomic():
        contact_id = _visitor_contact_id(
            visitor_id=batch.visitor_id,
            first_seen=min(event.occurred_at for event in batch.events),
            now=now,
        )
        if batch.link_visitor_id and batch.link_visitor_id != batch.visitor_id:
            contact_id = visitor_merge(
                into_id=batch.visitor_id, other_id=batch.link_visitor_id, contact_id=contact_id
            )
        inserted = _insert_touchpoints(batch=batch, contact_id=contact_id, user_agent=user_agent)
    if contact_id is not None and inserted:
        _score(batch=batch, contact_id=contact_id)
    return CollectResult(accepted=inserted, duplicates=len(batch.events) - inserted)


def batch_store(
    *, batch: Batch, user_agent: str = "", now: datetime | None = None
) -> CollectResult:
    """Store the batch's new events in one transaction and return how many were new and how
    many were already stored (a retried batch is counted once). Returns after the commit.

    The visitor is created when new; events of a visitor identified as a contact go to that
    contact; UTM values are matched to a campaign (its channel is set) and the page to a
    content-library item.
    """
    now = now or timezone.now()
    agent = "".join(ch for ch in user_agent[:500] if ch.isprintable())
    try:
        return _store(batch=batch, user_agent=agent, now=now)
    except IntegrityError:
        # A remembered campaign or content item was deleted meanwhile: look them up afresh.
        lookups_clear()
        return _store(batch=batch, user_agent=agent, now=now)
