"""Objection statistics as pure functions: rows in, numbers per objection type out. No ORM here.

Two populations, so that each number answers its own question:
- frequency, stages, overcome rate and responses count the objections raised in the period;
- "win rate where raised vs not" compares the closed deals of the period (closed between the
  period's bounds) that had at least one objection of a type, at any time, with those that had none.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

OVERCOME = "overcome"
NOT_OVERCOME = "not_overcome"
WON = "won"
LOST = "lost"


def percent(part: int, whole: int) -> float | None:
    """part / whole in percent, one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class ObjectionFact:
    deal_id: int
    type_id: int
    stage_id: int
    response_id: int | None
    outcome: str
    deal_status: str
    raised_at: datetime


@dataclass(frozen=True)
class ClosedDeal:
    deal_id: int
    won: bool


@dataclass
class ResponseStats:
    response_id: int
    uses: int = 0
    won_after: int = 0
    lost_after: int = 0
    overcome: int = 0

    @property
    def win_rate(self) -> float | None:
        return percent(self.won_after, self.won_after + self.lost_after)


@dataclass
class TypeStats:
    type_id: int
    raised: int = 0
    deals: int = 0
    by_stage: dict[int, int] = field(default_factory=dict)
    overcome: int = 0
    not_overcome: int = 0
    won_with: int = 0
    lost_with: int = 0
    won_without: int = 0
    lost_without: int = 0
    responses: list[ResponseStats] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return self.overcome + self.not_overcome

    @property
    def overcome_rate(self) -> float | None:
        return percent(self.overcome, self.answered)

    @property
    def closed_with(self) -> int:
        return self.won_with + self.lost_with

    @property
    def closed_without(self) -> int:
        return self.won_without + self.lost_without

    @property
    def win_rate_with(self) -> float | None:
        return percent(self.won_with, self.closed_with)

    @property
    def win_rate_without(self) -> float | None:
        return percent(self.won_without, self.closed_without)

    @property
    def difference(self) -> float | None:
        """Win rate where raised minus where not, in percentage points."""
        if self.win_rate_with is None or self.win_rate_without is None:
            return None
        return round(self.win_rate_with - self.win_rate_without, 1)


@dataclass
class ObjectionReport:
    types: list[TypeStats]
    stage_ids: list[int]
    closed_deals: int
    won_deals: int
    raised: int

    @property
    def win_rate(self) -> float | None:
        return percent(self.won_deals, self.closed_deals)

    def stage_total(self, stage_id: int) -> int:
        return sum(t.by_stage.get(stage_id, 0) for t in self.types)


def _in_period(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or at >= start) and (end is None or at < end)


def objection_report(
    *,
    type_ids: Sequence[int],
    stage_ids: Sequence[int],
    objections: Iterable[ObjectionFact],
    closed_deals: Iterable[ClosedDeal],
    start: datetime | None = None,
    end: datetime | None = None,
) -> ObjectionReport:
    """Per type (in `type_ids` order) the numbers of the objection report.

    `objections` may hold objections raised outside [start, end): they only count towards the
    raised-vs-not comparison of the closed deals they belong to. `stage_ids` sets the column
    order of the stage table; stages met but not listed are appended.
    """
    closed = {deal.deal_id: deal.won for deal in closed_deals}
    stats = {type_id: TypeStats(type_id=type_id) for type_id in type_ids}
    deals_per_type: dict[int, set[int]] = defaultdict(set)
    closed_with: dict[int, set[int]] = defaultdict(set)
    responses: dict[int, dict[int, ResponseStats]] = defaultdict(dict)
    stages = list(stage_ids)
    raised = 0
    for fact in objections:
        entry = stats.get(fact.type_id)
        if entry is None:
            entry = stats[fact.type_id] = TypeStats(type_id=fact.type_id)
        if fact.deal_id in closed:
            closed_with[fact.type_id].add(fact.deal_id)
        if not _in_period(fact.raised_at, start, end):
            continue
        raised += 1
        entry.raised += 1
        deals_per_type[fact.type_id].add(fact.deal_id)
        entry.by_stage[fact.stage_id] = entry.by_stage.get(fact.stage_id, 0) + 1
        if fact.stage_id not in stages:
            stages.append(fact.stage_id)
        if fact.outcome == OVERCOME:
            entry.overcome += 1
        elif fact.outcome == NOT_OVERCOME:
            entry.not_overcome += 1
        if fact.response_id is not None:
            used = responses[fact.type_id].setdefault(
                fact.response_id, ResponseStats(response_id=fact.response_id)
            )
            used.uses += 1
            used.won_after += fact.deal_status == WON
            used.lost_after += fact.deal_status == LOST
            used.overcome += fact.outcome == OVERCOME
    won_total = sum(1 for won in closed.values() if won)
    lost_total = len(closed) - won_total
    for type_id, entry in stats.items():
        entry.deals = len(deals_per_type[type_id])
        entry.won_with = sum(1 for deal_id in closed_with[type_id] if closed[deal_id])
        entry.lost_with = len(closed_with[type_id]) - entry.won_with
        entry.won_without = won_total - entry.won_with
        entry.lost_without = lost_total - entry.lost_with
        entry.responses = sorted(
            responses[type_id].values(), key=lambda r: (-r.uses, r.response_id)
        )
    return ObjectionReport(
        types=list(stats.values()),
        stage_ids=stages,
        closed_deals=len(closed),
        won_deals=won_total,
        raised=raised,
    )


def worst_win_rates(
    types: Iterable[TypeStats], *, min_closed: int = 5, limit: int = 3
) -> list[TypeStats]:
    """The types whose deals are won least often, among those raised on at least `min_closed`
    closed deals (fewer would be noise). Ties go to the type raised on more closed deals."""
    sampled = [t for t in types if t.closed_with >= min_closed]
    sampled.sort(key=lambda t: (t.win_rate_with or 0.0, -t.closed_with, t.type_id))
    return sampled[:limit]
