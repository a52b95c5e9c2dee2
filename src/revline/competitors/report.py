"""Win/loss by competitor as pure functions: grouped counts from SQL in, report rows out. No ORM.

A deal counts for every competitor involved in it, so a deal against two competitors is in
both rows; the overall numbers (`CompetitorReport.overall`) count each deal once.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

OPEN = "open"
WON = "won"
LOST = "lost"
CENT = Decimal("0.01")
NO_REASON = "No reason from the list"


def percent(part: int, whole: int) -> float | None:
    """part / whole in percent, one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def average(total: Decimal, count: int) -> Decimal | None:
    return (total / count).quantize(CENT) if count else None


@dataclass(frozen=True)
class StatusTotal:
    """The deals of one status a competitor was involved in, and their summed amount."""

    competitor_id: int
    status: str
    deals: int
    amount: Decimal


@dataclass(frozen=True)
class LabelCount:
    """How often a label (a close reason, an objection type) came up for one competitor."""

    competitor_id: int
    label: str | None
    count: int


@dataclass(frozen=True)
class Ranked:
    label: str
    count: int


@dataclass
class Outcomes:
    open: int = 0
    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal("0")
    lost_amount: Decimal = Decimal("0")

    @property
    def involved(self) -> int:
        return self.open + self.won + self.lost

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return percent(self.won, self.closed)

    @property
    def average_won(self) -> Decimal | None:
        return average(self.won_amount, self.won)

    @property
    def average_lost(self) -> Decimal | None:
        return average(self.lost_amount, self.lost)

    def add(self, status: str, deals: int, amount: Decimal) -> None:
        if status == WON:
            self.won += deals
            self.won_amount += amount
        elif status == LOST:
            self.lost += deals
            self.lost_amount += amount
        else:
            self.open += deals


@dataclass
class CompetitorRow(Outcomes):
    competitor_id: int = 0
    name: str = ""
    lost_to: int = 0  # lost deals whose buyer chose this competitor
    reasons: list[Ranked] = field(default_factory=list)  # close reasons of the lost deals
    objections: list[Ranked] = field(default_factory=list)  # deals on which each type came up


@dataclass
class CompetitorReport:
    rows: list[CompetitorRow]
    overall: Outcomes  # the deals against any competitor, each once

    @property
    def chart(self) -> dict[str, list[object]]:
        return {
            "labels": [row.name for row in self.rows],
            "won": [row.won for row in self.rows],
            "lost": [row.lost for row in self.rows],
            "rates": [row.win_rate for row in self.rows],
        }


def rank(counts: Iterable[tuple[str, int]], *, top: int | None = None) -> list[Ranked]:
    """Labels by count, most first, then by name; counts of the same label are summed."""
    summed: dict[str, int] = defaultdict(int)
    for label, count in counts:
        summed[label] += count
    ranked = sorted(
        (Ranked(label, count) for label, count in summed.items() if count),
        key=lambda r: (-r.count, r.label.casefold()),
    )
    return ranked[:top] if top is not None else ranked


def report_build(
    *,
    names: Mapping[int, str],
    totals: Iterable[StatusTotal],
    lost_to: Mapping[int, int],
    reasons: Iterable[LabelCount],
    objections: Iterable[LabelCount],
    overall: Iterable[StatusTotal] = (),
    top: int | None = 3,
) -> CompetitorReport:
    """One row per competitor that has a deal (involved or lost to) in the selection, the most
    deals first. `overall` holds the distinct deals by status (competitor_id is ignored).

    A lost deal without a reason from the list counts under NO_REASON; objection rows with no
    label (no objection) are ignored. `top` keeps the most frequent reasons and objections.
    """
    rows: dict[int, CompetitorRow] = {}

    def row(competitor_id: int) -> CompetitorRow:
        if competitor_id not in rows:
            rows[competitor_id] = CompetitorRow(
                competitor_id=competitor_id, name=names.get(competitor_id, "?")
            )
        return rows[competitor_id]

    for total in totals:
        row(total.competitor_id).add(total.status, total.deals, total.amount)
    for competitor_id, count in lost_to.items():
        if count:
            row(competitor_id).lost_to += count
    reason_counts: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for item in reasons:
        reason_counts[item.competitor_id].append((item.label or NO_REASON, item.count))
    objection_counts: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for item in objections:
        if item.label:
            objection_counts[item.competitor_id].append((item.label, item.count))
    for competitor_id, r in rows.items():
        r.reasons = rank(reason_counts.get(competitor_id, []), top=top)
        r.objections = rank(objection_counts.get(competitor_id, []), top=top)
    all_deals = Outcomes()
    for total in overall:
        all_deals.add(total.status, total.deals, total.amount)
    ordered = sorted(rows.values(), key=lambda r: (-r.involved, -r.lost_to, r.name.casefold()))
    return CompetitorReport(rows=ordered, overall=all_deals)


def csv_rows(report: CompetitorReport) -> Iterable[list[object]]:
    for r in report.rows:
        yield [
            r.name,
            r.involved,
            r.open,
            r.won,
            r.lost,
            "" if r.win_rate is None else r.win_rate,
            "" if r.average_won is None else r.average_won,
            "" if r.average_lost is None else r.average_lost,
            r.lost_to,
            "; ".join(f"{x.label} ({x.count})" for x in r.reasons),
            "; ".join(f"{x.label} ({x.count})" for x in r.objections),
        ]


def csv_header(currency: str) -> list[str]:
    return [
        "competitor",
        "deals_involved",
        "open",
        "won",
        "lost",
        "win_rate_percent",
        f"average_won_{currency}",
        f"average_lost_{currency}",
        "lost_to_them",
        "top_close_reasons",
        "top_objections",
    ]
