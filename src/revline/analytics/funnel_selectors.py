"""Reads for the funnels: the lifecycle funnel of a cohort of contacts, and event funnels over
touchpoints.

Funnels show counts and times only (no deal amounts), so every signed-in user may read them.

The lifecycle funnel loads one row per cohort contact (its first touchpoint through an index
probe) and its lifecycle moves, and replays them in Python (leads.reports.journey) so that it
agrees with the hand-off conversion report. An event funnel is ONE SQL query: a CTE per step
holding, per person, the earliest qualifying touchpoint after the previous step's, within the
window that the first step opens (see `event_funnel_sql`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf

from revline.campaigns.models import Campaign, Channel
from revline.core.dates import days_bounds, workspace_tz
from revline.core.models import User
from revline.leads import reports
from revline.leads.models import LifecycleTransition
from revline.people.models import Contact
from revline.segments.models import Segment
from revline.segments.selectors import segment_contacts
from revline.tracking.models import Touchpoint, TouchpointKind, Visitor

from . import funnels

BREAKDOWNS = {
    "campaign": "First-touch campaign",
    "channel": "First-touch channel",
    "owner": "Owner",
    "segment": "Segment",
}
NONE_LABELS = {
    "campaign": "No campaign",
    "channel": "No channel",
    "owner": "No owner",
}
MAX_SEGMENT_ROWS = 25
KIND_LABELS = {str(value): str(label) for value, label in TouchpointKind.choices}


# --- Lifecycle funnel ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRow:
    label: str
    start: date
    steps: list[funnels.FunnelStep]


@dataclass(frozen=True)
class GroupRow:
    key: Hashable
    label: str
    steps: list[funnels.FunnelStep]


@dataclass(frozen=True)
class LifecycleFunnelReport:
    first: date
    last: date
    interval: str
    segment: Segment | None
    steps: list[funnels.FunnelStep]  # the whole range
    cohorts: list[CohortRow]
    breakdown: str
    breakdown_label: str
    groups: list[GroupRow]
    contacts: int  # cohort size
    anonymous_visitors: int


def _first_touch(*, with_campaign: bool = False, with_channel: bool = False) -> QuerySet[Any]:
    """The contact's (OuterRef) first touchpoint, optionally the first one with a campaign or a
    channel: served by the (contact, occurred_at) index."""
    touches = Touchpoint.objects.filter(contact=OuterRef("pk"))
    if with_campaign:
        touches = touches.filter(campaign__isnull=False)
    if with_channel:
        touches = touches.filter(~Q(channel="") | Q(campaign__isnull=False))
    return touches.order_by("occurred_at", "pk")


def _channel_of_touch() -> Coalesce:
    """A touchpoint's own channel, else its campaign's."""
    return Coalesce(NullIf(F("channel"), Value("")), F("campaign__channel"))


def _anonymous_visitors(start: datetime, end: datetime) -> QuerySet[Visitor]:
    """Visitors never identified as a contact, with a touchpoint in [start, end)."""
    in_range = Touchpoint.objects.filter(
        visitor=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end
    )
    return Visitor.objects.filter(contact__isnull=True).filter(Exists(in_range))


def _anonymous_per_period(
    start: datetime, end: datetime, buckets: Sequence[reports.Bucket], tz: Any
) -> dict[date, int]:
    """Distinct anonymous visitors per period, in one query. Periods are told apart by plain
    comparisons with their first moment (not Trunc, which SQLite runs in Python per row)."""
    starts = [datetime.combine(b.start, time.min, tzinfo=tz) for b in buckets]
    period = Case(
        *[When(occurred_at__lt=starts[i + 1], then=Value(i)) for i in range(len(starts) - 1)],
        default=Value(len(starts) - 1),
        output_field=IntegerField(),
    )
    rows = (
        Touchpoint.objects.filter(
            occurred_at__gte=start,
            occurred_at__lt=end,
            contact__isnull=True,
            visitor__isnull=False,
            visitor__contact__isnull=True,
        )
        .annotate(period=period)
        .values("period")
        .annotate(n=Count("visitor", distinct=True))
        .order_by()
    )
    return {buckets[row["period"]].start: row["n"] for row in rows}


def _anonymous_per_group(visitors: QuerySet[Visitor], breakdown: str) -> dict[Hashable, int]:
    touches = Touchpoint.objects.filter(visitor=OuterRef("pk")).order_by("occurred_at", "pk")
    first: QuerySet[Any, Any]
    if breakdown == "campaign":
        first = touches.filter(campaign__isnull=False).values("campaign_id")[:1]
    else:
        first = (
            touches.filter(~Q(channel="") | Q(campaign__isnull=False))
            .annotate(ch=_channel_of_touch())
            .values("ch")[:1]
        )
    rows = visitors.annotate(g=Subquery(first)).values("g").annotate(n=Count("pk")).order_by()
    return {row["g"]: row["n"] for row in rows}


def _members(
    cohort: QuerySet[Contact], breakdown: str
) -> tuple[dict[int, funnels.Member], dict[int, datetime], dict[int, Hashable]]:
    """Each cohort contact's funnel view, its creation time, and its breakdown group."""
    annotations: dict[str, Any] = {"first_seen": Subquery(_first_touch().values("occurred_at")[:1])}
    if breakdown == "campaign":
        annotations["g"] = Subquery(_first_touch(with_campaign=True).values("campaign_id")[:1])
    elif breakdown == "channel":
        annotations["g"] = Subquery(
            _first_touch(with_channel=True).annotate(ch=_channel_of_touch()).values("ch")[:1]
        )
    elif breakdown == "owner":
        annotations["g"] = F("owner_id")
    else:
        annotations["g"] = Value(None, output_field=IntegerField())
    moves: dict[int, list[reports.Move]] = defaultdict(list)
    for contact_id, from_stage, to_stage, at in (
        LifecycleTransition.objects.filter(contact__in=cohort.values("pk"))
        .order_by("occurred_at", "pk")
        .values_list("contact_id", "from_stage", "to_stage", "occurred_at")
        .iterator(chunk_size=5000)
    ):
        moves[contact_id].append(reports.Move(from_stage, to_stage, at))
    members: dict[int, funnels.Member] = {}
    created: dict[int, datetime] = {}
    groups: dict[int, Hashable] = {}
    for pk, created_at, stage, first_seen, group in (
        cohort.annotate(**annotations)
        .order_by()
        .values_list("pk", "created_at", "lifecycle_stage", "first_seen", "g")  # type: ignore[misc]
        .iterator(chunk_size=5000)
    ):
        own = moves.get(pk, [])
        initial = own[0].from_stage if own else stage
        journey = reports.journey(initial_stage=initial, created_at=created_at, moves=own)
        members[pk] = funnels.member(journey=journey, first_seen_at=first_seen)
        created[pk] = created_at
        groups[pk] = group if group != "" else None
    return members, created, groups


def _group_labels(breakdown: str, keys: set[Hashable]) -> dict[Hashable, str]:
    ids: list[Any] = [k for k in keys if k is not None]
    if breakdown == "campaign":
        return dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name"))
    if breakdown == "owner":
        return {u.pk: str(u.get_full_name() or u.username) for u in User.objects.filter(pk__in=ids)}
    labels: dict[Hashable, str] = {}
    for key in ids:
        try:
            labels[key] = str(Channel(key).label)
        except ValueError:
            labels[key] = str(key)
    return labels


def _segment_groups(
    cohort: QuerySet[Contact], members: dict[int, funnels.Member], now: datetime | None
) -> list[GroupRow]:
    rows = []
    for segment in Segment.objects.order_by("name", "pk")[:MAX_SEGMENT_ROWS]:
        try:
            inside: QuerySet[Contact] | None = segment_contacts(
                definition=segment.definition, now=now
            )
        except ValidationError:  # a stored definition that no longer validates: no row
            inside = None
        if inside is None:
            continue
        ids = inside.filter(pk__in=cohort.values("pk")).order_by().values_list("pk", flat=True)
        rows.append(
            GroupRow(
                key=segment.pk,
                label=segment.name,
                steps=funnels.lifecycle_funnel(members[pk] for pk in ids if pk in members),
            )
        )
    rows.sort(key=lambda r: (-r.steps[0].count, r.label.casefold()))
    return rows


def lifecycle_funnel_report(
    *,
    first: date,
    last: date,
    interval: str = "month",
    breakdown: str = "campaign",
    segment: Segment | None = None,
    now: datetime | None = None,
) -> LifecycleFunnelReport:
    """The lifecycle funnel of the contacts created on the days first..last (inclusive): the
    whole range, each month or quarter's cohort, and the breakdown's groups.

    With a segment, only its contacts (at `now`) are in the cohort and anonymous visitors are
    left out (they belong to no segment); so are they in the owner and segment breakdowns.
    Raises ValueError for an unknown breakdown, ValidationError for a segment whose definition
    no longer validates."""
    if breakdown not in BREAKDOWNS:
        raise ValueError(f"Unknown breakdown {breakdown!r}.")
    tz = workspace_tz()
    start, end = days_bounds(first, last)
    cohort = Contact.objects.filter(created_at__gte=start, created_at__lt=end)
    if segment is not None:
        cohort = cohort.filter(
            pk__in=segment_contacts(definition=segment.definition, now=now).values("pk")
        )
    members, created, groups = _members(cohort, breakdown)
    buckets = reports.period_buckets(interval=interval, first=first, last=last)

    anonymous_total = 0
    per_period: dict[date, int] = {}
    per_group: dict[Hashable, int] = {}
    if segment is None:
        visitors = _anonymous_visitors(start, end)
        anonymous_total = visitors.count()
        per_period = _anonymous_per_period(start, end, buckets, tz)
        if breakdown in ("campaign", "channel"):
            per_group = _anonymous_per_group(visitors, breakdown)

    by_period: dict[date, list[funnels.Member]] = defaultdict(list)
    for pk, m in members.items():
        by_period[reports.bucket_start(created[pk], interval=interval, tz=tz)].append(m)
    cohorts = [
        CohortRow(
            label=b.label,
            start=b.start,
            steps=funnels.lifecycle_funnel(
                by_period.get(b.start, []), anonymous_visitors=per_period.get(b.start, 0)
            ),
        )
        for b in buckets
    ]

    if breakdown == "segment":
        group_rows = _segment_groups(cohort, members, now)
    else:
        by_group: dict[Hashable, list[funnels.Member]] = defaultdict(list)
        for pk, m in members.items():
            by_group[groups[pk]].append(m)
        keys = set(by_group) | set(per_group)
        labels = _group_labels(breakdown, keys)
        group_rows = [
            GroupRow(
                key=key,
                label=labels.get(key, NONE_LABELS[breakdown]) if key is not None
                else NONE_LABELS[breakdown],
                steps=funnels.lifecycle_funnel(
                    by_group.get(key, []), anonymous_visitors=per_group.get(key, 0)
                ),
            )
            for key in keys
        ]  # fmt: skip
        group_rows.sort(key=lambda r: (-r.steps[0].count, r.key is None, r.label.casefold()))

    return LifecycleFunnelReport(
        first=first,
        last=last,
        interval=interval,
        segment=segment,
        steps=funnels.lifecycle_funnel(members.values(), anonymous_visitors=anonymous_total),
        cohorts=cohorts,
        breakdown=breakdown,
        breakdown_label=BREAKDOWNS[breakdown],
        groups=group_rows,
        contacts=len(members),
        anonymous_visitors=anonymous_total,
    )


# --- Event funnels ------------------------------------------------------------------------------

_PERSON = (
    "CASE WHEN t.contact_id IS NOT NULL THEN 'c' || CAST(t.contact_id AS TEXT) "
    "ELSE 'v' || CAST(t.visitor_id AS TEXT) END"
)


def _step_filter(step: funnels.StepSpec, vendor: str) -> tuple[str, list[Any]]:
    sql, params = "t.kind = %s", [step.kind]
    if step.match == "contains":
        # Case-insensitive on both: SQLite's LIKE is, for ASCII.
        like = "ILIKE" if vendor == "postgresql" else "LIKE"
        sql += f" AND t.url {like} %s ESCAPE '\\'"
        params.append(funnels.like_pattern(step.pattern))
    elif step.match == "regex":
        # PostgreSQL's ~ (POSIX), SQLite's REGEXP (Python's re, registered by Django).
        sql += " AND t.url ~ %s" if vendor == "postgresql" else " AND t.url REGEXP %s"
        params.append(step.pattern)
    return sql, params


def event_funnel_sql(
    steps: Sequence[funnels.StepSpec], *, start: datetime, end: datetime, window_days: int
) -> tuple[str, list[Any]]:
    """ONE query that answers the count of people at each step.

    A person is the touchpoint's contact, or its visitor when it has none. Step 1 is each
    person's earliest qualifying touchpoint in [start, end); it opens a window of `window_days`
    days. Step k is the person's earliest qualifying touchpoint within the window, at or after
    step k-1's (strictly after when both steps are of the same kind, so one touchpoint never
    counts as two steps). Each step is a CTE grouped by person and joined to the previous one, so
    the work grows with the number of qualifying touchpoints, not with their pairs."""
    vendor = connection.vendor
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    where, step_params = _step_filter(steps[0], vendor)
    if vendor == "postgresql":
        deadline = "MIN(t.occurred_at) + make_interval(days => %s)"
    else:
        # Text in Django's own storage format, so it compares with occurred_at as text.
        deadline = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', MIN(t.occurred_at), %s)"
    ctes = [
        f"s1 AS (SELECT {_PERSON} AS p, MIN(t.occurred_at) AS at, {deadline} AS until "  # noqa: S608
        f"FROM tracking_touchpoint t WHERE {where} AND t.occurred_at >= %s "
        "AND t.occurred_at < %s AND (t.contact_id IS NOT NULL OR t.visitor_id IS NOT NULL) "
        "GROUP BY 1)"
    ]
    params += [window_days if vendor == "postgresql" else f"+{window_days} days"]
    params += [*step_params, adapt(start), adapt(end)]
    for number in range(2, len(steps) + 1):
        step = steps[number - 1]
        where, step_params = _step_filter(step, vendor)
        after = ">" if step.kind == steps[number - 2].kind else ">="
        ctes.append(
            f"s{number} AS (SELECT s.p AS p, MIN(t.occurred_at) AS at, s.until AS until "  # noqa: S608
            f"FROM s{number - 1} s JOIN tracking_touchpoint t ON {_PERSON} = s.p "
            f"AND t.occurred_at {after} s.at AND t.occurred_at <= s.until "
            f"WHERE {where} GROUP BY s.p, s.until)"
        )
        params += step_params
    # Only fixed SQL and step numbers are formatted in; every value is a parameter.
    counts = ", ".join(f"(SELECT COUNT(*) FROM s{n})" for n in range(1, len(steps) + 1))  # noqa: S608
    return f"WITH {', '.join(ctes)} SELECT {counts}", params


def event_funnel_counts(
    *, steps: Sequence[funnels.StepSpec], start: datetime, end: datetime, window_days: int
) -> list[int]:
    """People reaching each step, in order (see event_funnel_sql); steps must be validated."""
    sql, params = event_funnel_sql(steps, start=start, end=end, window_days=window_days)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return [int(n) for n in row]


@dataclass(frozen=True)
class EventFunnelReport:
    first: date
    last: date
    window_days: int
    steps: list[funnels.StepSpec]
    rows: list[funnels.EventStepRow]


def event_funnel_report(
    *, steps: Sequence[funnels.StepSpec], first: date, last: date, window_days: int
) -> EventFunnelReport:
    """The event funnel of people whose first step happened on the days first..last."""
    checked = funnels.validate_steps(steps, kinds=KIND_LABELS)
    start, end = days_bounds(first, last)
    counts = event_funnel_counts(steps=checked, start=start, end=end, window_days=window_days)
    labels = [step.describe(KIND_LABELS) for step in checked]
    return EventFunnelReport(
        first=first,
        last=last,
        window_days=window_days,
        steps=checked,
        rows=funnels.event_funnel_rows(counts, labels),
    )
