"""The arithmetic of the market insights page: rates, medians and flags per group. No ORM.

The selectors count each group in SQL (research/insight_selectors.py); everything here works on
those counts, so it can be checked by hand on a small dataset.

Definitions (also explained on the page):
- conversion rate: contacts now at lifecycle stage customer (or evangelist) / contacts;
- deals per contact: deals of the group's contacts / contacts;
- win rate: won deals / closed (won + lost) deals;
- average won deal: won amount (workspace currency) / won deals;
- sales cycle: median days from a won deal's creation to its close;
- revenue per customer: won amount / contacts with at least one won deal;
- predicted customer value: the BG/NBD + Gamma-Gamma value of the group's customers, averaged.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Thresholds:
    """When a group is flagged. One place, shown on the page as written here."""

    # "Large but under-served": at least this many times the median group's contacts...
    large_factor: float = 2.0
    # ...and at most this share of the overall deals per contact.
    underserved_factor: float = 0.5
    # "Small but highly profitable": at most the median group's contacts, and a win rate or an
    # average won deal at least this many times the overall one...
    profitable_factor: float = 1.5
    # ...measured on at least this many closed deals, so that one lucky deal flags nothing.
    min_closed_deals: int = 3


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class GroupFacts:
    """What SQL counted for one group (or for all contacts, as the overall row)."""

    key: str
    label: str
    contacts: int
    customers: int = 0
    deals: int = 0
    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal("0")
    won_customers: int = 0  # contacts with at least one won deal
    cycle_days: tuple[float, ...] = ()  # created -> closed of each won deal
    predicted_customers: int = 0
    predicted_total: Decimal | None = None  # None: no prediction asked for or possible


@dataclass(frozen=True)
class GroupRow:
    facts: GroupFacts
    conversion_rate: float | None  # percentages, one decimal
    deals_per_contact: float | None  # two decimals
    win_rate: float | None
    avg_won_deal: Decimal | None
    median_cycle_days: float | None  # one decimal
    revenue_per_customer: Decimal | None
    avg_predicted_value: Decimal | None
    under_served: bool = False
    profitable: bool = False

    @property
    def closed(self) -> int:
        return self.facts.won + self.facts.lost


@dataclass(frozen=True)
class DimensionTable:
    key: str
    label: str
    rows: list[GroupRow]
    overall: GroupRow
    median_contacts: float | None

    @property
    def flagged(self) -> list[GroupRow]:
        return [row for row in self.rows if row.under_served or row.profitable]


def ratio(part: float, whole: float) -> float | None:
    return None if not whole else part / whole


def percent(part: int, whole: int) -> float | None:
    value = ratio(part, whole)
    return None if value is None else round(100 * value, 1)


def money_average(total: Decimal, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / count).quantize(_CENT, rounding=ROUND_HALF_UP)


def median(values: Iterable[float]) -> float | None:
    values = list(values)
    return float(statistics.median(values)) if values else None


def cycle_days(created_at: datetime, closed_at: datetime | None) -> float:
    """Days, with fractions, from a deal's creation to its close (never negative)."""
    if closed_at is None:
        return 0.0
    return max(0.0, (closed_at - created_at).total_seconds() / 86400)


def _win_share(facts: GroupFacts) -> float | None:
    return ratio(facts.won, facts.won + facts.lost)


def _avg_deal(facts: GroupFacts) -> Decimal | None:
    return money_average(facts.won_amount, facts.won)


def group_row(facts: GroupFacts) -> GroupRow:
    per_contact = ratio(facts.deals, facts.contacts)
    cycle = median(facts.cycle_days)
    predicted = (
        money_average(facts.predicted_total, facts.predicted_customers)
        if facts.predicted_total is not None
        else None
    )
    return GroupRow(
        facts=facts,
        conversion_rate=percent(facts.customers, facts.contacts),
        deals_per_contact=None if per_contact is None else round(per_contact, 2),
        win_rate=percent(facts.won, facts.won + facts.lost),
        avg_won_deal=_avg_deal(facts),
        median_cycle_days=None if cycle is None else round(cycle, 1),
        revenue_per_customer=money_average(facts.won_amount, facts.won_customers),
        avg_predicted_value=predicted,
    )


def is_under_served(
    facts: GroupFacts, overall: GroupFacts, median_contacts: float | None, t: Thresholds
) -> bool:
    """Many contacts (>= large_factor x the median group) but few deals for them (deals per
    contact <= underserved_factor x the overall rate)."""
    overall_rate = ratio(overall.deals, overall.contacts)
    if not median_contacts or not overall_rate or not facts.contacts:
        return False
    if facts.contacts < t.large_factor * median_contacts:
        return False
    return facts.deals / facts.contacts <= t.underserved_factor * overall_rate


def is_profitable(
    facts: GroupFacts, overall: GroupFacts, median_contacts: float | None, t: Thresholds
) -> bool:
    """Few contacts (<= the median group) but, over at least min_closed_deals closed deals, a
    win rate or an average won deal >= profitable_factor x the overall one."""
    if median_contacts is None or not facts.contacts or facts.contacts > median_contacts:
        return False
    if facts.won + facts.lost < t.min_closed_deals:
        return False
    win, overall_win = _win_share(facts), _win_share(overall)
    if win is not None and overall_win and win >= t.profitable_factor * overall_win:
        return True
    deal, overall_deal = _avg_deal(facts), _avg_deal(overall)
    return (
        deal is not None
        and bool(overall_deal)
        and deal >= Decimal(str(t.profitable_factor)) * overall_deal  # type: ignore[operator]
    )


def dimension_table(
    *,
    key: str,
    label: str,
    groups: Sequence[GroupFacts],
    overall: GroupFacts,
    thresholds: Thresholds = THRESHOLDS,
) -> DimensionTable:
    """Rows (largest group first) with their flags, against the overall figures of all contacts
    in the selection (groups may overlap, as personas do, so the overall row is not their sum)."""
    median_contacts = median(g.contacts for g in groups)
    rows = []
    for facts in sorted(groups, key=lambda g: (-g.contacts, g.label.lower(), g.key)):
        row = group_row(facts)
        rows.append(
            replace(
                row,
                under_served=is_under_served(facts, overall, median_contacts, thresholds),
                profitable=is_profitable(facts, overall, median_contacts, thresholds),
            )
        )
    return DimensionTable(
        key=key,
        label=label,
        rows=rows,
        overall=group_row(overall),
        median_contacts=median_contacts,
    )
