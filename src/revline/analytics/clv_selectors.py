"""Purchase histories from won deals, and the customer-value report built on them (clv.py).

A customer is a CONTACT with at least one won deal (deals without a contact are left out): the
contact is who marketing touched, so their first campaign touch names the campaign that
acquired them. Each won deal is a purchase at its close date, worth its amount in the workspace
currency (amount_base). Purchases on the same calendar day (workspace time zone) count as one
purchase of their summed value, as in the published BG/NBD work, where a day is the finest grain.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from revline.campaigns.models import Campaign
from revline.core import permissions
from revline.core.models import User
from revline.people.models import Contact
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint

from . import clv
from .clv import DAYS_PER_UNIT, TimeUnit

NO_CAMPAIGN = "No campaign"
_CHUNK = 2000
_CENT = Decimal("0.01")
FIT_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Purchase:
    day: date
    value: Decimal


@dataclass(frozen=True)
class CustomerSummary:
    """One customer's calibration summary, times in `unit` (see clv.py)."""

    contact_id: int
    first_purchase: date
    first_purchase_at: datetime
    x: int  # repeat purchases
    t_x: float  # first purchase -> last purchase
    T: float  # first purchase -> end of the calibration period
    m: float  # average value of the repeat purchases (0 when x = 0)
    revenue: Decimal  # every purchase up to the end of the period, first included


@dataclass(frozen=True)
class CustomerPrediction:
    summary: CustomerSummary
    campaign_id: int | None
    channel: str
    p_alive: float
    expected_purchases: float
    expected_spend: float
    value: float


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    campaign_id: int | None
    customers: int
    avg_value: Decimal
    total_value: Decimal
    avg_expected_purchases: float
    avg_p_alive: float
    avg_revenue_to_date: Decimal


@dataclass(frozen=True)
class CustomerValueReport:
    unit: TimeUnit
    as_of: date
    horizon: float
    annual_discount_rate: float
    currency: str
    customers: int
    repeat_customers: int
    fit: clv.FitResult | None = None
    spend_fit: clv.GammaGammaFit | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    by_campaign: list[GroupRow] = field(default_factory=list)
    by_channel: list[GroupRow] = field(default_factory=list)
    predictions: list[CustomerPrediction] = field(default_factory=list)
    cohort_customers: int = 0
    team_only: bool = False


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=timezone.get_current_timezone())


def purchase_histories(
    *, viewer: User | None, as_of: date
) -> dict[int, tuple[datetime, list[Purchase]]]:
    """Per contact with a won deal closed by the end of `as_of`: the moment of their first
    purchase and their purchases by day, oldest first. Only deals `viewer` may see (None:
    the whole workspace, for jobs)."""
    deals = Deal.objects.filter(
        status=DealStatus.WON,
        closed_at__isnull=False,
        closed_at__lte=_end_of(as_of),
        contact__isnull=False,
    )
    if viewer is not None:
        deals = deals_visible_to(viewer, deals)
    by_day: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    first_at: dict[int, datetime] = {}
    rows: Iterable[tuple[int, datetime, Decimal]] = deals.values_list(
        "contact_id", "closed_at", "amount_base"
    ).iterator(chunk_size=5000)  # type: ignore[assignment]
    for contact_id, closed_at, amount in rows:
        by_day[contact_id][timezone.localtime(closed_at).date()] += amount
        if contact_id not in first_at or closed_at < first_at[contact_id]:
            first_at[contact_id] = closed_at
    return {
        contact_id: (
            first_at[contact_id],
            [Purchase(day, value) for day, value in sorted(days.items())],
        )
        for contact_id, days in by_day.items()
    }


def calibration_summary(
    histories: dict[int, tuple[datetime, list[Purchase]]], *, as_of: date, unit: TimeUnit
) -> list[CustomerSummary]:
    """(x, t_x, T, m) of each customer, times in `unit`: days between calendar dates divided
    by the days in a unit (7 for weeks). The calibration period of a customer runs from their
    first purchase to `as_of`."""
    per_unit = DAYS_PER_UNIT[unit]
    summaries = []
    for contact_id, (first_at, purchases) in sorted(histories.items()):
        first, last = purchases[0].day, purchases[-1].day
        repeats = purchases[1:]
        repeat_value = sum((p.value for p in repeats), Decimal("0"))
        summaries.append(
            CustomerSummary(
                contact_id=contact_id,
                first_purchase=first,
                first_purchase_at=first_at,
                x=len(repeats),
                t_x=(last - first).days / per_unit,
                T=(as_of - first).days / per_unit,
                m=float(repeat_value) / len(repeats) if repeats else 0.0,
                revenue=sum((p.value for p in purchases), Decimal("0")),
            )
        )
    return summaries


def acquisition_campaigns(first_purchase_at: dict[int, datetime]) -> dict[int, int]:
    """Each contact's acquisition campaign: the campaign of their first campaign touch at or
    before their first purchase. Contacts without one are absent."""
    found: dict[int, int] = {}
    ids = sorted(first_purchase_at)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        touches = (
            Touchpoint.objects.filter(contact_id__in=chunk, campaign__isnull=False)
            .order_by("contact_id", "occurred_at", "pk")
            .values_list("contact_id", "occurred_at", "campaign_id")
        )
        for contact_id, occurred_at, campaign_id in touches.iterator(chunk_size=5000):
            if contact_id not in found and occurred_at <= first_purchase_at[contact_id]:
                found[contact_id] = campaign_id
    return found


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 6))).quantize(_CENT, rounding=ROUND_HALF_UP)


def _group(
    predictions: Iterable[CustomerPrediction], key_of: dict[str, tuple[str, int | None]], by: str
) -> list[GroupRow]:
    groups: dict[str, list[CustomerPrediction]] = defaultdict(list)
    for prediction in predictions:
        key = str(prediction.campaign_id) if by == "campaign" and prediction.campaign_id else ""
        if by == "channel":
            key = prediction.channel
        groups[key].append(prediction)
    rows = []
    for key, members in groups.items():
        label, campaign_id = key_of.get(key, (NO_CAMPAIGN, None))
        values = np.array([p.value for p in members])
        revenue = sum((p.summary.revenue for p in members), Decimal("0"))
        rows.append(
            GroupRow(
                key=key or "none",
                label=label,
                campaign_id=campaign_id,
                customers=len(members),
                avg_value=_money(float(values.mean())),
                total_value=_money(float(values.sum())),
                avg_expected_purchases=float(np.mean([p.expected_purchases for p in members])),
                avg_p_alive=float(np.mean([p.p_alive for p in members])),
                avg_revenue_to_date=(revenue / len(members)).quantize(_CENT, ROUND_HALF_UP),
            )
        )
    rows.sort(key=lambda row: (-row.avg_value, row.label))
    return rows


def _fits(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, m: np.ndarray, *, unit: TimeUnit
) -> tuple[clv.FitResult, clv.GammaGammaFit]:
    """Both maximum-likelihood fits, cached under a digest of the data they are fitted on: the
    same purchase histories always give the same fit, and the optimiser is the slow part of the
    report. New purchases change the digest, so a cached fit is never stale."""
    digest = hashlib.sha256(unit.encode())
    for array in (x, t_x, T, m):
        digest.update(np.ascontiguousarray(array, dtype=float).tobytes())
    key = f"clv-fit:{digest.hexdigest()}"
    cached = cache.get(key)
    if cached is None:
        try:
            cached = (clv.bgnbd_fit(x, t_x, T, unit=unit), clv.gamma_gamma_fit(x, m))
        except clv.ClvDataError as exc:
            cached = str(exc)
        cache.set(key, cached, timeout=FIT_CACHE_SECONDS)
    if isinstance(cached, str):
        raise clv.ClvDataError(cached)
    return cached


def customer_value_report(
    *,
    viewer: User | None,
    as_of: date,
    unit: TimeUnit,
    horizon: float,
    annual_discount_rate: float,
    acquired_from: date | None = None,
    acquired_to: date | None = None,
) -> CustomerValueReport:
    """Fit BG/NBD and Gamma-Gamma on every customer's purchases up to `as_of` (the deals
    `viewer` may see), predict each customer's value over the next `horizon` units, and average
    it by acquisition campaign and channel over the customers first bought from
    `acquired_from` to `acquired_to` (all when unset). The model is always fitted on every
    customer: a cohort alone is often too small to fit."""
    histories = purchase_histories(viewer=viewer, as_of=as_of)
    summaries = calibration_summary(histories, as_of=as_of, unit=unit)
    x = np.array([s.x for s in summaries], dtype=float)
    t_x = np.array([s.t_x for s in summaries], dtype=float)
    T = np.array([s.T for s in summaries], dtype=float)
    m = np.array([s.m for s in summaries], dtype=float)
    empty = CustomerValueReport(
        unit=unit,
        as_of=as_of,
        horizon=horizon,
        annual_discount_rate=annual_discount_rate,
        currency=settings.CURRENCY,
        customers=len(summaries),
        repeat_customers=int(np.count_nonzero(x > 0)),
        team_only=viewer is not None and permissions.sees_only_team_deals(viewer),
    )
    try:
        fit, spend_fit = _fits(x, t_x, T, m, unit=unit)
    except clv.ClvDataError as exc:
        return replace(empty, error=str(exc))
    warnings = [*fit.warnings, *spend_fit.warnings]
    p_alive = clv.bgnbd_p_alive(fit.params, x, t_x, T, unit=unit)
    purchases = clv.bgnbd_conditional_expected_transactions(
        fit.params, horizon, x, t_x, T, unit=unit
    )
    spend = clv.gamma_gamma_expected_spend(spend_fit.params, x, m)
    values = clv.customer_lifetime_value(
        fit.params,
        spend_fit.params,
        x,
        t_x,
        T,
        m,
        horizon=horizon,
        unit=unit,
        annual_discount_rate=annual_discount_rate,
    )
    cohort = [
        i
        for i, s in enumerate(summaries)
        if (acquired_from is None or s.first_purchase >= acquired_from)
        and (acquired_to is None or s.first_purchase <= acquired_to)
    ]
    sources = acquisition_campaigns(
        {summaries[i].contact_id: summaries[i].first_purchase_at for i in cohort}
    )
    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in=set(sources.values()))}
    predictions = []
    for i in cohort:
        summary = summaries[i]
        campaign = campaigns.get(sources.get(summary.contact_id, 0))
        predictions.append(
            CustomerPrediction(
                summary=summary,
                campaign_id=campaign.pk if campaign else None,
                channel=campaign.channel if campaign else "",
                p_alive=float(p_alive[i]),
                expected_purchases=float(purchases[i]),
                expected_spend=float(spend[i]),
                value=float(values[i]),
            )
        )
    campaign_labels: dict[str, tuple[str, int | None]] = {
        str(c.pk): (c.name, c.pk) for c in campaigns.values()
    }
    channel_labels: dict[str, tuple[str, int | None]] = {
        c.channel: (c.get_channel_display(), None) for c in campaigns.values()
    }
    return replace(
        empty,
        fit=fit,
        spend_fit=spend_fit,
        warnings=warnings,
        by_campaign=_group(predictions, campaign_labels, "campaign"),
        by_channel=_group(predictions, channel_labels, "channel"),
        predictions=predictions,
        cohort_customers=len(predictions),
    )


def contact_names(contact_ids: Iterable[int]) -> dict[int, str]:
    """Display names for the per-customer export."""
    names: dict[int, str] = {}
    ids = sorted(set(contact_ids))
    for start in range(0, len(ids), _CHUNK):
        for pk, first, last, email in Contact.objects.filter(
            pk__in=ids[start : start + _CHUNK]
        ).values_list("pk", "first_name", "last_name", "email"):
            names[pk] = f"{first} {last}".strip() or email
    return names
