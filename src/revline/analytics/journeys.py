"""The workspace's journeys as attribution-engine rows (revline.analytics.engine.PathRow).

A journey is one contact's marketing touches, in time order, keyed by a dimension (channel,
campaign, creative or content item); only touches that carry a key of that dimension count.

- Converting journeys: one per deal that converts (a won deal, or for pipeline an open deal),
  made of its contact's touches at or before the conversion (the close of a won deal, the
  creation of an open one). Its value is the deal's `amount_base` (the workspace currency).
  Only the deals the viewer may see count (sales.visibility). A deal whose contact had no
  keyed touch by then is an empty path: the engine counts it as unattributed.
- Null journeys: contacts with keyed touches who never converted (no won deal at all, or for
  pipeline no deal at all, whoever owns it: a contact another team won is not a failure of
  marketing), with all their keyed touches.
- Date range: the conversion date for converting journeys, the last keyed touch for null ones.

Identical paths are aggregated into one row; with `with_times` the times before conversion (in
seconds, for time decay) are part of the key, so only journeys identical in both merge.
Two streamed queries plus one aggregate; never a query per contact.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from revline.campaigns.models import Campaign, Channel, Creative
from revline.content.models import ContentItem
from revline.core import permissions
from revline.core.models import User
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint

if TYPE_CHECKING:
    from revline.analytics.engine import PathRow

CHUNK = 5000
CENT = Decimal("0.01")
WON = "won"
PIPELINE = "pipeline"
OUTCOMES = (WON, PIPELINE)

# dimension -> the Touchpoint field that holds its key
DIMENSIONS: dict[str, str] = {
    "channel": "channel",
    "campaign": "campaign_id",
    "creative": "creative_id",
    "content": "content_item_id",
}
DIMENSION_LABELS = {
    "channel": "Channel",
    "campaign": "Campaign",
    "creative": "Creative",
    "content": "Content item",
}


@dataclass(frozen=True)
class Journeys:
    dimension: str
    outcome: str
    rows: "list[PathRow]"
    labels: dict[str, str]
    deals: int  # converting deals in the range, with or without a keyed touch
    value: Decimal
    unattributed_deals: int  # of which had no keyed touch before converting
    unattributed_value: Decimal
    null_journeys: int
    # Value of the deals with a keyed touch, by first day of their conversion month.
    attributed_value_by_month: dict[date, Decimal] = field(default_factory=dict)
    team_only: bool = False

    @property
    def converting_journeys(self) -> int:
        return self.deals - self.unattributed_deals


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz) if start else None,
        datetime.combine(end, time.max, tzinfo=tz) if end else None,
    )


def keyed_touches(prefix: str, dimension: str) -> Q:
    """Touches carrying a key of `dimension`; `__gt=""` rather than an exclude, which across a
    multi-valued relation would become a subquery instead of a condition on the joined row."""
    name = prefix + DIMENSIONS[dimension]
    return Q(**{f"{name}__gt": ""}) if dimension == "channel" else Q(**{f"{name}__isnull": False})


def converting_deals(
    *,
    outcome: str = WON,
    start: date | None = None,
    end: date | None = None,
    viewer: User | None = None,
) -> tuple[QuerySet[Deal], str]:
    """The deals that convert in the range (visible to `viewer`), and their conversion field."""
    if outcome == WON:
        deals, at = Deal.objects.filter(status=DealStatus.WON, closed_at__isnull=False), "closed_at"
    elif outcome == PIPELINE:
        deals, at = Deal.objects.filter(status=DealStatus.OPEN), "created_at"
    else:
        raise ValueError(f"Unknown outcome {outcome!r}.")
    if viewer is not None:
        deals = deals_visible_to(viewer, deals)
    low, high = day_bounds(start, end)
    if low:
        deals = deals.filter(**{f"{at}__gte": low})
    if high:
        deals = deals.filter(**{f"{at}__lte": high})
    return deals, at


def _month(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def _converting_touches(
    deals: QuerySet[Deal], at: str, dimension: str
) -> Iterator[tuple[int, Decimal, datetime, Any, datetime]]:
    """(deal id, amount_base, converted at, key, touched at), by deal then touch time.

    Conditions on contact__touchpoints in one filter() share one join, and values_list reuses it:
    each row is one touch of the deal's contact, at or before the conversion."""
    prefix = "contact__touchpoints__"
    rows = (
        deals.filter(keyed_touches(prefix, dimension), **{f"{prefix}occurred_at__lte": F(at)})
        .order_by("pk", f"{prefix}occurred_at", f"{prefix}pk")
        .values_list(
            "pk", "amount_base", at, prefix + DIMENSIONS[dimension], f"{prefix}occurred_at"
        )
    )
    return rows.iterator(chunk_size=CHUNK)


def _null_touches(
    dimension: str, outcome: str, start: date | None, end: date | None
) -> Iterator[tuple[int, Any, datetime]]:
    """(contact id, key, touched at) of contacts who never converted, by contact then time."""
    statuses = [DealStatus.WON] if outcome == WON else list(DealStatus)
    converted = Deal.objects.filter(contact_id=OuterRef("contact_id"), status__in=statuses)
    keyed = keyed_touches("", dimension)
    touches = Touchpoint.objects.filter(keyed, contact__isnull=False).filter(~Exists(converted))
    low, high = day_bounds(start, end)
    same_contact = Touchpoint.objects.filter(keyed, contact_id=OuterRef("contact_id"))
    if low:
        touches = touches.filter(Exists(same_contact.filter(occurred_at__gte=low)))
    if high:
        touches = touches.filter(~Exists(same_contact.filter(occurred_at__gt=high)))
    rows = touches.order_by("contact_id", "occurred_at", "pk").values_list(
        "contact_id", DIMENSIONS[dimension], "occurred_at"
    )
    return rows.iterator(chunk_size=CHUNK)


def _grouped(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """Consecutive rows with the same first column, as lists."""
    current: list[tuple[Any, ...]] = []
    for row in rows:
        if current and row[0] != current[0][0]:
            yield current
            current = []
        current.append(row)
    if current:
        yield current


def key_labels(dimension: str, keys: Iterable[str]) -> dict[str, str]:
    """Display names of the keys of `dimension` (a deleted record keeps its id as its name)."""
    keys = set(keys)
    if dimension == "channel":
        names = dict(Channel.choices)
        return {k: str(names.get(k, k)) for k in keys}
    ids = [int(k) for k in keys if k.isdigit()]
    names_qs: QuerySet[Any]
    if dimension == "campaign":
        names_qs = Campaign.objects.values_list("pk", "name")
    elif dimension == "creative":
        names_qs = Creative.objects.values_list("pk", "name")
    else:
        names_qs = ContentItem.objects.values_list("pk", "title")
    found = {str(pk): name for pk, name in names_qs.filter(pk__in=ids)}
    return {k: found.get(k, f"#{k}") for k in keys}


def workspace_journeys(
    *,
    dimension: str,
    outcome: str = WON,
    start: date | None = None,
    end: date | None = None,
    viewer: User | None = None,
    with_times: bool = False,
) -> Journeys:
    """The workspace's journeys by `dimension` as engine rows; see the module docstring.

    `viewer` None means the whole workspace (jobs, exports)."""
    from revline.analytics.engine import PathRow

    if dimension not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {dimension!r}.")
    deals, at = converting_deals(outcome=outcome, start=start, end=end, viewer=viewer)
    totals = deals.aggregate(n=Count("pk"), value=Sum("amount_base"))
    # path, times -> [conversions, value, nulls]
    sums: dict[tuple[tuple[str, ...], tuple[float, ...] | None], list[Any]] = defaultdict(
        lambda: [0, Decimal("0"), 0]
    )
    by_month: dict[date, Decimal] = defaultdict(Decimal)
    attributed_deals, attributed_value = 0, Decimal("0")
    for touches in _grouped(_converting_touches(deals, at, dimension)):
        _, amount, converted_at, _, _ = touches[0]
        path = tuple(str(key) for _, _, _, key, _ in touches)
        times = (
            tuple((converted_at - touched).total_seconds() for *_, touched in touches)
            if with_times
            else None
        )
        entry = sums[(path, times)]
        entry[0] += 1
        entry[1] += amount
        attributed_deals += 1
        attributed_value += amount
        by_month[_month(converted_at)] += amount
    null_journeys = 0
    for touches in _grouped(_null_touches(dimension, outcome, start, end)):
        sums[(tuple(str(key) for _, key, _ in touches), None)][2] += 1
        null_journeys += 1
    total_deals = totals["n"] or 0
    total_value = totals["value"] or Decimal("0")
    unattributed = total_deals - attributed_deals
    rows = [
        PathRow(path=path, conversions=float(c), value=float(v), nulls=float(n), times=times)
        for (path, times), (c, v, n) in sums.items()
    ]
    if unattributed:
        rows.append(
            PathRow(
                path=(),
                conversions=float(unattributed),
                value=float(total_value - attributed_value),
                nulls=0.0,
            )
        )
    rows.sort(key=lambda r: (r.path, r.times or ()))
    return Journeys(
        dimension=dimension,
        outcome=outcome,
        rows=rows,
        labels=key_labels(dimension, {k for r in rows for k in r.path}),
        deals=total_deals,
        value=total_value,
        unattributed_deals=unattributed,
        unattributed_value=total_value - attributed_value,
        null_journeys=null_journeys,
        attributed_value_by_month=dict(sorted(by_month.items())),
        team_only=viewer is not None and permissions.sees_only_team_deals(viewer),
    )


# --- attribution reports over these journeys -----------------------------------------------------


@dataclass(frozen=True)
class KeyCredit:
    key: str
    label: str
    conversions: dict[str, float]  # model -> credited conversions
    value: dict[str, Decimal]  # model -> credited value, to the cent
    removal_effect: float | None = None  # Markov only: share of conversions lost without it

    @property
    def removal_effect_pct(self) -> float | None:
        return None if self.removal_effect is None else round(100 * self.removal_effect, 1)


@dataclass(frozen=True)
class AttributionReport:
    dimension: str
    models: list[str]
    journeys: Journeys
    rows: list[KeyCredit]
    currency: str
    conversion_probability: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def team_only(self) -> bool:
        return self.journeys.team_only

    @property
    def has_removal_effects(self) -> bool:
        return any(row.removal_effect is not None for row in self.rows)


def to_cents(amount: float) -> Decimal:
    """An engine float as money: rounded half-up to the cent."""
    return Decimal(repr(amount)).quantize(CENT, rounding=ROUND_HALF_UP)


def attribution_report(
    *,
    dimension: str,
    models: Sequence[str],
    start: date | None = None,
    end: date | None = None,
    viewer: User | None = None,
    outcome: str = WON,
    markov_order: int = 1,
    half_life_days: float = 7.0,
) -> AttributionReport:
    """Conversions and value credited to each key of `dimension` by each of `models`.

    Rows are sorted by the first model's credited value (largest first), then by name. Keys a
    model gives nothing still appear with zero, so models can be compared row by row."""
    from revline.analytics.engine import MODEL_LABELS, attribute

    journeys = workspace_journeys(
        dimension=dimension,
        outcome=outcome,
        start=start,
        end=end,
        viewer=viewer,
        with_times="time_decay" in models,
    )
    notes: list[str] = []
    credits: dict[str, dict[str, Any]] = {}
    effects: dict[str, float] = {}
    probability = None
    if journeys.converting_journeys > 0:
        result = attribute(
            journeys.rows,
            models=list(models),
            markov_order=markov_order,
            half_life_days=half_life_days,
        )
        credits, effects = result.credits, result.removal_effects
        probability = result.conversion_probability
        for model, skipped in result.skipped.items():
            if skipped.conversions > 0:
                notes.append(
                    f"{MODEL_LABELS[model]}: {skipped.conversions:g} conversions without touch "
                    "times were left out."
                )
    keys = {key for per_model in credits.values() for key in per_model}
    rows = [
        KeyCredit(
            key=key,
            label=journeys.labels.get(key, key),
            conversions={
                m: credits[m][key].conversions if key in credits[m] else 0.0 for m in credits
            },
            value={
                m: to_cents(credits[m][key].value) if key in credits[m] else Decimal("0.00")
                for m in credits
            },
            removal_effect=effects.get(key),
        )
        for key in keys
    ]
    first = models[0] if models else ""
    rows.sort(key=lambda r: (-r.value.get(first, Decimal("0")), r.label.lower(), r.key))
    return AttributionReport(
        dimension=dimension,
        models=list(models),
        journeys=journeys,
        rows=rows,
        currency=settings.CURRENCY,
        conversion_probability=probability,
        notes=notes,
    )
