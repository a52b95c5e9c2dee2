"""Touchpoints per day, campaign, channel and kind, kept in `DailyTouchStats` incrementally.

`touch_stats_fold` reads the touchpoints with an id above the watermark, in bounded batches,
groups each batch in SQL and adds the counts to the stats with one upsert per group
(INSERT ... ON CONFLICT ... DO UPDATE, the same statement on SQLite and PostgreSQL), then moves
the watermark, all in one transaction per batch: a batch is folded in full or not at all.
The watermark row is locked (SELECT ... FOR UPDATE) first, so two schedulers never fold the same
batch; on SQLite the IMMEDIATE transactions serialise them the same way.

What the incremental fold cannot see (the nightly `touch_stats_rebuild` repairs it all):
- a touchpoint deleted later stays counted (an erasure repairs its days at once with
  `touch_stats_rebuild_days`);
- a touch identified later (visitor merged into a contact) stays counted as anonymous;
- on PostgreSQL a touch whose insert commits after a higher id was folded is skipped (ids are
  handed out at insert, not at commit). Tracking writes in short transactions, so this is rare.

The day is the touch's calendar day in the workspace time zone (settings.TIME_ZONE).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from revline.tracking.models import Touchpoint

from .models import AggregateWatermark, DailyTouchStats

logger = logging.getLogger(__name__)

WATERMARK = "daily_touch_stats"
BATCH_SIZE = 20_000
DAYS_PER_QUERY = 500  # keeps IN (...) below every database's parameter limit
MAX_BATCHES = 50  # per run: a backlog is worked off over several runs, never in one long one

# (day, campaign id, channel, kind, touches, identified)
StatRow = tuple[date, int | None, str, str, int, int]


def _grouped(touchpoints: QuerySet[Touchpoint]) -> list[StatRow]:
    tz = timezone.get_current_timezone()
    rows = (
        touchpoints.annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .values("day", "campaign_id", "channel", "kind")
        .annotate(touches=Count("pk"), identified=Count("contact_id"))
        .order_by()
        .values_list("day", "campaign_id", "channel", "kind", "touches", "identified")
    )
    return list(rows)


def _upsert_sql(table: str, key: str, campaign: str) -> str:
    """INSERT ... ON CONFLICT for one of the two partial unique indexes: adds to a row that is
    there. `table` comes from the model's metadata; every value is a query parameter."""
    insert = "INSERT INTO " + table + " (day, campaign_id, channel, kind, touches, identified)"
    return (
        f"{insert} VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ({key}) WHERE campaign_id {campaign} "
        f"DO UPDATE SET touches = {table}.touches + excluded.touches, "
        f"identified = {table}.identified + excluded.identified"
    )


def _upsert(rows: Sequence[StatRow]) -> None:
    """Add `rows` to the stats: insert new keys, increase existing ones."""
    if not rows:
        return
    table = connection.ops.quote_name(DailyTouchStats._meta.db_table)
    # One statement per partial unique index (a NULL campaign never conflicts in a plain one).
    with_campaign = _upsert_sql(table, "day, campaign_id, channel, kind", "IS NOT NULL")
    without_campaign = _upsert_sql(table, "day, channel, kind", "IS NULL")
    adapt = connection.ops.adapt_datefield_value
    params = [
        (adapt(day), campaign, channel or "", kind, touches, identified)
        for day, campaign, channel, kind, touches, identified in rows
    ]
    with connection.cursor() as cursor:
        campaign_rows = [p for p in params if p[1] is not None]
        other_rows = [p for p in params if p[1] is None]
        if campaign_rows:
            cursor.executemany(with_campaign, campaign_rows)
        if other_rows:
            cursor.executemany(without_campaign, other_rows)


def _watermark_locked() -> AggregateWatermark:
    """The watermark row, locked until the transaction ends (call inside atomic())."""
    AggregateWatermark.objects.get_or_create(name=WATERMARK)
    return AggregateWatermark.objects.select_for_update(of=("self",)).get(name=WATERMARK)


def _fold_batch(batch_size: int) -> int:
    """Fold the next batch above the watermark; returns how many touchpoints it held."""
    with transaction.atomic():
        mark = _watermark_locked()
        ids = Touchpoint.objects.filter(pk__gt=mark.last_id).order_by("pk").values_list("pk")
        upper = ids[batch_size - 1 : batch_size].first()
        if upper is not None:
            last = upper[0]
        else:
            last = Touchpoint.objects.filter(pk__gt=mark.last_id).aggregate(m=Max("pk"))["m"]
            if last is None:
                return 0
        batch = Touchpoint.objects.filter(pk__gt=mark.last_id, pk__lte=last)
        rows = _grouped(batch)
        _upsert(rows)
        mark.last_id = last
        mark.save(update_fields=["last_id", "updated_at"])
        return sum(row[4] for row in rows)


def touch_stats_fold(*, batch_size: int = BATCH_SIZE, max_batches: int = MAX_BATCHES) -> int:
    """Fold touchpoints recorded since the last run into the daily stats; returns how many.

    Idempotent: each touchpoint id is folded once, whoever runs it and however often."""
    if batch_size < 1 or max_batches < 1:
        raise ValueError("batch_size and max_batches must be positive")
    folded = 0
    for _ in range(max_batches):
        count = _fold_batch(batch_size)
        folded += count
        if count == 0:
            break
    return folded


def touch_stats_refresh() -> int:
    """The periodic job (every 60 s): fold what is new."""
    return touch_stats_fold()


def touch_stats_rebuild() -> int:
    """Recompute every stat from the touchpoints as they are now; returns how many were counted.

    One transaction with the watermark locked: readers see the old stats or the new ones, and a
    fold waiting on the lock continues from the rebuilt watermark."""
    with transaction.atomic():
        mark = _watermark_locked()
        last = Touchpoint.objects.aggregate(m=Max("pk"))["m"] or 0
        DailyTouchStats.objects.all().delete()
        rows = _grouped(Touchpoint.objects.filter(pk__lte=last))
        _upsert(rows)
        mark.last_id = last
        mark.save(update_fields=["last_id", "updated_at"])
    return sum(row[4] for row in rows)


def touch_days(touchpoints: QuerySet[Touchpoint]) -> set[date]:
    """The calendar days (as the stats count them) the touchpoints fell on: read them before
    deleting touchpoints, to rebuild just those days afterwards."""
    tz = timezone.get_current_timezone()
    return set(
        touchpoints.annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )


def _on_days(days: Sequence[date]) -> QuerySet[Touchpoint]:
    tz = timezone.get_current_timezone()
    # A UTC range a day wider on each side than any offset lets the occurred_at index narrow
    # the scan; the local-day filter is then exact.
    start = datetime.combine(min(days) - timedelta(days=1), time.min, tzinfo=UTC)
    end = datetime.combine(max(days) + timedelta(days=2), time.min, tzinfo=UTC)
    return (
        Touchpoint.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .annotate(local_day=TruncDate("occurred_at", tzinfo=tz))
        .filter(local_day__in=days)
    )


def touch_stats_rebuild_days(*, days: Iterable[date]) -> int:
    """Recompute the stats of `days` only (every campaign, channel and kind on them) from the
    touchpoints as they are now; returns how many were counted. Other days' rows are left alone.

    Counts only what is at or below the watermark, as the rest of the stats do (the fold adds the
    newer touches later), in one transaction with the watermark locked."""
    wanted = sorted(set(days))
    counted = 0
    with transaction.atomic():
        mark = _watermark_locked()
        for i in range(0, len(wanted), DAYS_PER_QUERY):
            chunk = wanted[i : i + DAYS_PER_QUERY]
            DailyTouchStats.objects.filter(day__in=chunk).delete()
            rows = _grouped(_on_days(chunk).filter(pk__lte=mark.last_id))
            _upsert(rows)
            counted += sum(row[4] for row in rows)
    return counted


def touch_stats_rebuild_nightly() -> int:
    """The daily job: a full rebuild, to repair what the fold cannot see (module docstring)."""
    return touch_stats_rebuild()


# ---------------------------------------------------------------- reads


@dataclass(frozen=True)
class TouchStatsState:
    last_id: int
    updated_at: datetime | None
    pending: int  # touchpoints recorded since, not yet in the stats


def touch_stats_state() -> TouchStatsState:
    """How far the stats have read (the newest touchpoint id folded in and when)."""
    mark = AggregateWatermark.objects.filter(name=WATERMARK).first()
    last_id = mark.last_id if mark else 0
    return TouchStatsState(
        last_id=last_id,
        updated_at=mark.updated_at if mark else None,
        pending=Touchpoint.objects.filter(pk__gt=last_id).count(),
    )


def touch_counts(
    *, start: date, end: date, by: Sequence[str] = ("channel",)
) -> list[dict[str, object]]:
    """Summed touches and identified touches per `by` columns (of day, campaign_id, channel,
    kind) for the days start..end (inclusive), from the stats."""
    allowed = {"day", "campaign_id", "channel", "kind"}
    if not set(by) <= allowed:
        raise ValueError(f"Unknown grouping {sorted(set(by) - allowed)}")
    return list(
        DailyTouchStats.objects.filter(day__gte=start, day__lte=end)
        .values(*by)
        .annotate(touches=Sum("touches"), identified=Sum("identified"))
        .order_by(*by)
    )
