"""Market insights: per industry, company size, country, persona and lead source, what the
contacts became (customers, deals, wins, revenue). Counted in SQL, one GROUP BY per dimension;
the arithmetic is in insights.py.

- The date range selects contacts by when they were created; their deals count whenever they
  were made. Deals count through their contact (deals without a contact are left out), and only
  the deals the viewer may see (sales.visibility).
- Lead source is the channel of the contact's first campaign touch (the first-touch attribution
  rule), else the contact's own `source` field (e.g. "import"), else unknown.
- Personas overlap: one contact may be in several. "No persona" holds contacts matching none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from revline.analytics.clv_selectors import customer_value_report
from revline.campaigns.models import Channel
from revline.core import permissions
from revline.core.models import User
from revline.people.models import CompanySize, Contact, LifecycleStage
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to
from revline.segments.compiler import compile_definition
from revline.tracking.models import Touchpoint

from . import insights
from .insights import THRESHOLDS, DimensionTable, GroupFacts, Thresholds
from .models import Persona

DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("industry", "Industry"),
    ("size", "Company size"),
    ("country", "Country"),
    ("persona", "Persona"),
    ("source", "Lead source"),
)
DIMENSION_LABELS = dict(DIMENSIONS)
CUSTOMER_STAGES = (LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST)
MAX_PERSONAS = 50
NO_PERSONA = "none"
UNKNOWN = "Unknown"
_CHUNK = 2000
# The customer-value model's settings (the customer value report's defaults): one year ahead,
# in weeks, 10 % a year discount.
CLV_UNIT: Literal["week"] = "week"
CLV_HORIZON, CLV_DISCOUNT = 52.0, 0.10

WON = Q(status=DealStatus.WON)
LOST = Q(status=DealStatus.LOST)


# --- Group keys -------------------------------------------------------------------------------


def _first_channel(contact_ref: OuterRef) -> Subquery:
    first = (
        Touchpoint.objects.filter(contact_id=contact_ref, campaign__isnull=False)
        .order_by("occurred_at", "pk")
        .values("campaign__channel")[:1]
    )
    return Subquery(first, output_field=CharField())


def key_expression(dimension: str, *, through_deal: bool) -> Any:
    """The SQL expression of a contact's group: over Contact, or over Deal via its contact."""
    p = "contact__" if through_deal else ""
    if dimension == "industry":
        return Coalesce(F(f"{p}company__industry"), Value(""), output_field=CharField())
    if dimension == "size":
        return Coalesce(F(f"{p}company__size"), Value(""), output_field=CharField())
    if dimension == "country":
        return F(f"{p}country")
    if dimension == "source":
        ref = OuterRef("contact_id" if through_deal else "pk")
        return Coalesce(_first_channel(ref), F(f"{p}source"), Value(""), output_field=CharField())
    raise ValueError(dimension)


_CHANNELS = dict(Channel.choices)
_SIZES = dict(CompanySize.choices)
_SIZE_ORDER = {value: i for i, value in enumerate(CompanySize.values)}


def group_label(dimension: str, key: str) -> str:
    if not key:
        return UNKNOWN
    if dimension == "size":
        return str(_SIZES.get(key, key))
    if dimension == "source":
        if key in _CHANNELS:
            return str(_CHANNELS[key])
        kind, _, rest = key.partition(":")
        if kind == "landing_page" and rest:
            return f"Landing page “{rest}”"
        return key.replace("_", " ").capitalize()
    return key


# --- Counting ---------------------------------------------------------------------------------


@dataclass
class _Counts:
    contacts: int = 0
    customers: int = 0
    deals: int = 0
    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal("0")
    won_customers: int = 0
    cycles: list[float] = field(default_factory=list)
    predicted_customers: int = 0
    predicted_total: Decimal = Decimal("0")


_CONTACT_AGGREGATES = {
    "n_contacts": Count("pk"),
    "n_customers": Count("pk", filter=Q(lifecycle_stage__in=CUSTOMER_STAGES)),
}
_DEAL_AGGREGATES = {
    "n_deals": Count("pk"),
    "n_won": Count("pk", filter=WON),
    "n_lost": Count("pk", filter=LOST),
    "won_amount": Sum("amount_base", filter=WON),
    "won_customers": Count("contact_id", distinct=True, filter=WON),
}


def _add_contacts(counts: _Counts, row: Any) -> None:
    counts.contacts += row["n_contacts"]
    counts.customers += row["n_customers"]


def _add_deals(counts: _Counts, row: Any) -> None:
    counts.deals += row["n_deals"]
    counts.won += row["n_won"]
    counts.lost += row["n_lost"]
    counts.won_amount += row["won_amount"] or Decimal("0")
    counts.won_customers += row["won_customers"]


def _won_cycles(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    return deals.filter(WON, closed_at__isnull=False).order_by()


def _grouped(
    dimension: str, contacts: QuerySet[Contact], deals: QuerySet[Deal]
) -> dict[str, _Counts]:
    by_key: dict[str, _Counts] = defaultdict(_Counts)
    contact_key = key_expression(dimension, through_deal=False)
    deal_key = key_expression(dimension, through_deal=True)
    for row in (
        contacts.order_by().annotate(k=contact_key).values("k").annotate(**_CONTACT_AGGREGATES)
    ):
        _add_contacts(by_key[row["k"] or ""], row)
    for row in deals.order_by().annotate(k=deal_key).values("k").annotate(**_DEAL_AGGREGATES):
        _add_deals(by_key[row["k"] or ""], row)
    cycles = _won_cycles(deals).annotate(k=deal_key).values_list("k", "created_at", "closed_at")
    for key, created_at, closed_at in cycles.iterator(chunk_size=5000):
        by_key[key or ""].cycles.append(insights.cycle_days(created_at, closed_at))
    return by_key


def _counted(contacts: QuerySet[Contact], deals: QuerySet[Deal]) -> _Counts:
    counts = _Counts()
    _add_contacts(counts, contacts.order_by().aggregate(**_CONTACT_AGGREGATES))
    _add_deals(counts, deals.order_by().aggregate(**_DEAL_AGGREGATES))
    for created_at, closed_at in _won_cycles(deals).values_list("created_at", "closed_at"):
        counts.cycles.append(insights.cycle_days(created_at, closed_at))
    return counts


def _of_contacts(deals: QuerySet[Deal], contacts: QuerySet[Contact]) -> QuerySet[Deal]:
    return deals.filter(contact_id__in=contacts.order_by().values("pk"))


def _persona_rules(personas: Sequence[Persona]) -> tuple[list[tuple[Persona, Q]], list[str]]:
    rules, broken = [], []
    for persona in personas:
        try:
            rules.append((persona, compile_definition(persona.definition)))
        except ValidationError:
            broken.append(persona.name)
    return rules, broken


def _none_of(rules: Sequence[tuple[Persona, Q]]) -> Q:
    any_rule = Q()
    for _, rule in rules:
        any_rule |= rule
    return ~any_rule if rules else Q()


def _facts(key: str, label: str, counts: _Counts, predicted: bool) -> GroupFacts:
    return GroupFacts(
        key=key,
        label=label,
        contacts=counts.contacts,
        customers=counts.customers,
        deals=counts.deals,
        won=counts.won,
        lost=counts.lost,
        won_amount=counts.won_amount,
        won_customers=counts.won_customers,
        cycle_days=tuple(counts.cycles),
        predicted_customers=counts.predicted_customers,
        predicted_total=counts.predicted_total if predicted else None,
    )


# --- Predicted customer value ------------------------------------------------------------------


@dataclass(frozen=True)
class Predictions:
    values: dict[int, float]  # contact id -> predicted value
    note: str


def customer_predictions(*, viewer: User) -> Predictions:
    """Each customer's predicted value over the next year (BG/NBD + Gamma-Gamma, fitted on the
    deals `viewer` may see), or why there is none."""
    report = customer_value_report(
        viewer=viewer,
        as_of=timezone.localdate(),
        unit=CLV_UNIT,
        horizon=CLV_HORIZON,
        annual_discount_rate=CLV_DISCOUNT,
    )
    if report.error:
        return Predictions({}, f"No prediction: {report.error}")
    values = {p.summary.contact_id: p.value for p in report.predictions}
    return Predictions(values, "")


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _add_predictions(counts: _Counts, contact_ids: Iterable[int], values: dict[int, float]) -> None:
    for pk in contact_ids:
        counts.predicted_customers += 1
        counts.predicted_total += Decimal(str(round(values[pk], 2)))


def _predict_grouped(
    dimension: str,
    contacts: QuerySet[Contact],
    values: dict[int, float],
    by_key: dict[str, _Counts],
) -> None:
    for chunk in _chunks(values):
        rows = (
            contacts.filter(pk__in=chunk)
            .order_by()
            .annotate(k=key_expression(dimension, through_deal=False))
            .values_list("pk", "k")
        )
        per_key: dict[str, list[int]] = defaultdict(list)
        for pk, key in rows:
            per_key[key or ""].append(pk)
        for key, ids in per_key.items():
            _add_predictions(by_key.setdefault(key, _Counts()), ids, values)


def _predict_in(counts: _Counts, contacts: QuerySet[Contact], values: dict[int, float]) -> None:
    for chunk in _chunks(values):
        ids = contacts.filter(pk__in=chunk).order_by().values_list("pk", flat=True)
        _add_predictions(counts, ids, values)


# --- The report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InsightsReport:
    tables: list[DimensionTable]
    overall: insights.GroupRow
    currency: str
    start: date | None
    end: date | None
    predicted: bool
    prediction_note: str
    team_only: bool
    thresholds: Thresholds
    broken_personas: list[str]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def market_insights(
    *,
    viewer: User,
    start: date | None = None,
    end: date | None = None,
    dimensions: Sequence[str] = tuple(DIMENSION_LABELS),
    predict: bool = False,
    thresholds: Thresholds = THRESHOLDS,
) -> InsightsReport:
    """The insight tables for contacts created from `start` to `end` (both days included; open
    when None), counting the deals `viewer` may see. `predict` adds each group's average
    predicted customer value (fits the customer-value model: slower on large workspaces)."""
    permissions.require(viewer.is_active, "Your account is inactive.")
    contacts = Contact.objects.all()
    deals = Deal.objects.filter(contact__isnull=False)
    if start is not None:
        contacts = contacts.filter(created_at__gte=_day_start(start))
        deals = deals.filter(contact__created_at__gte=_day_start(start))
    if end is not None:
        contacts = contacts.filter(created_at__lt=_day_start(end + timedelta(days=1)))
        deals = deals.filter(contact__created_at__lt=_day_start(end + timedelta(days=1)))
    deals = deals_visible_to(viewer, deals)

    predictions = customer_predictions(viewer=viewer) if predict else Predictions({}, "")
    values = predictions.values
    overall_counts = _counted(contacts, deals)
    if predict:
        _predict_in(overall_counts, contacts, values)
    overall = _facts("all", "All contacts", overall_counts, predict)

    tables: list[DimensionTable] = []
    broken: list[str] = []
    for dimension in dimensions:
        groups: list[GroupFacts] = []
        if dimension == "persona":
            personas = list(Persona.objects.order_by("name", "pk")[:MAX_PERSONAS])
            rules, broken = _persona_rules(personas)
            members: list[tuple[str, str, QuerySet[Contact]]] = [
                (str(persona.pk), persona.name, contacts.filter(rule)) for persona, rule in rules
            ]
            if rules:
                members.append((NO_PERSONA, "No persona", contacts.filter(_none_of(rules))))
            for key, label, matched in members:
                counts = _counted(matched, _of_contacts(deals, matched))
                if predict:
                    _predict_in(counts, matched, values)
                groups.append(_facts(key, label, counts, predict))
        else:
            by_key = _grouped(dimension, contacts, deals)
            if predict:
                _predict_grouped(dimension, contacts, values, by_key)
            groups = [
                _facts(key, group_label(dimension, key), counts, predict)
                for key, counts in by_key.items()
            ]
        tables.append(
            insights.dimension_table(
                key=dimension,
                label=DIMENSION_LABELS[dimension],
                groups=groups,
                overall=overall,
                thresholds=thresholds,
            )
        )
    return InsightsReport(
        tables=tables,
        overall=insights.group_row(overall),
        currency=settings.CURRENCY,
        start=start,
        end=end,
        predicted=predict and not predictions.note,
        prediction_note=predictions.note,
        team_only=permissions.sees_only_team_deals(viewer),
        thresholds=thresholds,
        broken_personas=broken,
    )


# --- Export and chart ---------------------------------------------------------------------------

CSV_HEADER = (
    "group", "contacts", "customers", "conversion_rate_pct", "deals", "deals_per_contact",
    "won", "lost", "win_rate_pct", "avg_won_deal", "median_cycle_days", "revenue_per_customer",
    "avg_predicted_value", "currency", "flags",
)  # fmt: skip


def _blank(value: Any) -> Any:
    return "" if value is None else value


def flag_words(row: insights.GroupRow) -> list[str]:
    words = []
    if row.under_served:
        words.append("large but under-served")
    if row.profitable:
        words.append("small but highly profitable")
    return words


def table_csv_rows(table: DimensionTable, currency: str) -> list[list[Any]]:
    out = []
    for row in [*table.rows, table.overall]:
        f = row.facts
        out.append(
            [
                f.label, f.contacts, f.customers, _blank(row.conversion_rate), f.deals,
                _blank(row.deals_per_contact), f.won, f.lost, _blank(row.win_rate),
                _blank(row.avg_won_deal), _blank(row.median_cycle_days),
                _blank(row.revenue_per_customer), _blank(row.avg_predicted_value), currency,
                "; ".join(flag_words(row)),
            ]
        )  # fmt: skip
    return out


def chart_data(table: DimensionTable, limit: int = 12) -> dict[str, list[Any]]:
    """Contacts and win rate of the largest groups, for the chart beside each table."""
    rows = table.rows[:limit]
    if table.key == "size":
        rows = sorted(rows, key=lambda r: _SIZE_ORDER.get(r.facts.key, len(_SIZE_ORDER)))
    return {
        "labels": [r.facts.label for r in rows],
        "contacts": [r.facts.contacts for r in rows],
        "win_rate": [r.win_rate for r in rows],
        "conversion": [r.conversion_rate for r in rows],
    }
