"""Pure computations of the hand-off reports: when a contact reached each lifecycle stage,
conversion between stages, lead quality per campaign/channel/content, medians. No ORM here: the
report selectors load plain values and pass them in."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median as _median
from zoneinfo import ZoneInfo

from revline.people.models import LIFECYCLE_ORDER

FORWARD: tuple[str, ...] = tuple(s.value for s in LIFECYCLE_ORDER)
RANK: dict[str, int] = {stage: i for i, stage in enumerate(FORWARD)}
OPPORTUNITY_STAGES = FORWARD[RANK["opportunity"] :]
CUSTOMER_STAGES = FORWARD[RANK["customer"] :]


def median_duration(durations: Iterable[timedelta]) -> timedelta | None:
    """The median of `durations` (the mean of the middle two for an even count); None if empty."""
    seconds = [d.total_seconds() for d in durations]
    if not seconds:
        return None
    return timedelta(seconds=_median(seconds))


def rate(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


# --- Stage reach --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    from_stage: str
    to_stage: str
    at: datetime


@dataclass(frozen=True)
class Journey:
    """When a contact first reached each forward stage, and which of them it only jumped over."""

    reached: Mapping[str, datetime]
    skipped: frozenset[str] = frozenset()


def journey(*, initial_stage: str, created_at: datetime, moves: Iterable[Move]) -> Journey:
    """Replay a contact's lifecycle moves.

    A contact created at a later stage reached the earlier ones when it was created; a move that
    jumps over stages (lead → SQL) reached the stages in between at the same moment — both count
    as *skipped*. A move back into the funnel from disqualified/recycled reaches only its target.
    Only the first arrival at a stage counts."""
    reached: dict[str, datetime] = {}
    skipped: set[str] = set()

    def arrive(stages: Sequence[str], at: datetime) -> None:
        for i, stage in enumerate(stages):
            if stage not in reached:
                reached[stage] = at
                if i < len(stages) - 1:
                    skipped.add(stage)

    if initial_stage in RANK:
        arrive(FORWARD[: RANK[initial_stage] + 1], created_at)
    for move in sorted(moves, key=lambda m: m.at):
        to = RANK.get(move.to_stage)
        if to is None:
            continue
        start = RANK[move.from_stage] + 1 if move.from_stage in RANK else to
        arrive(FORWARD[start : to + 1], move.at)
    return Journey(reached=reached, skipped=frozenset(skipped))


@dataclass(frozen=True)
class StageRow:
    stage: str
    reached: int  # contacts that first reached the stage in the range
    converted: int  # of those, how many reached the next stage (by now)
    conversion_rate: float | None
    median_time_in_stage: timedelta | None
    timed: int  # how many durations the median is over


def conversion_summary(
    journeys: Iterable[Journey], *, start: datetime, end: datetime
) -> list[StageRow]:
    """Per forward stage: contacts that first reached it in [start, end), the share that went on
    to the next stage, and the median time they spent in it (from first reaching it to first
    reaching the next). Contacts still in the stage have no time yet; a contact that skipped the
    stage counts as having reached and left it, but is left out of the median (it never stood in
    the stage)."""
    journeys = list(journeys)
    rows = []
    for i, stage in enumerate(FORWARD):
        following = FORWARD[i + 1] if i + 1 < len(FORWARD) else None
        entered = [j for j in journeys if stage in j.reached and start <= j.reached[stage] < end]
        converted = [j for j in entered if following is not None and following in j.reached]
        durations = [
            j.reached[following] - j.reached[stage]  # type: ignore[index]
            for j in converted
            if stage not in j.skipped
        ]
        rows.append(
            StageRow(
                stage=stage,
                reached=len(entered),
                converted=len(converted),
                conversion_rate=rate(len(converted), len(entered)) if following else None,
                median_time_in_stage=median_duration(durations),
                timed=len(durations),
            )
        )
    return rows


# --- Periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    label: str
    start: date  # first day, local time


def period_buckets(*, interval: str, first: date, last: date) -> list[Bucket]:
    """The months or quarters ("month" / "quarter") that overlap [first, last], oldest first."""
    step = 3 if interval == "quarter" else 1
    month = (first.month - 1) // step * step + 1
    current = date(first.year, month, 1)
    buckets = []
    while current <= last:
        if step == 3:
            label = f"Q{(current.month - 1) // 3 + 1} {current.year}"
        else:
            label = current.strftime("%b %Y")
        buckets.append(Bucket(label=label, start=current))
        months = current.month - 1 + step
        current = date(current.year + months // 12, months % 12 + 1, 1)
    return buckets


def bucket_start(moment: datetime, *, interval: str, tz: ZoneInfo) -> date:
    local = moment.astimezone(tz).date()
    month = (local.month - 1) // 3 * 3 + 1 if interval == "quarter" else local.month
    return date(local.year, month, 1)


# --- Lead quality -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffFact:
    """One hand-off as the lead-quality report sees it."""

    handoff_id: int
    contact_id: int
    group: Hashable  # campaign id, channel or content item id (None: none)
    status: str
    reject_reason: str
    qualified_at: datetime
    decided_at: datetime | None
    deal_created_at: datetime | None = None
    deal_won_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    opportunity_at: datetime | None
    customer_at: datetime | None


def handoff_outcomes(
    facts: Sequence[HandoffFact],
    *,
    qualified_times: Mapping[int, Sequence[datetime]],
    transitions: Mapping[int, Sequence[tuple[str, datetime]]],
) -> dict[int, Outcome]:
    """When each hand-off's lead became an opportunity and a customer.

    A lifecycle move to opportunity (or later) counts for the hand-off it follows, up to the
    contact's next qualification, so a lead that was rejected, recycled and qualified again
    credits only the hand-off that led to the win. The hand-off's own deal counts too: created
    means an opportunity, won means a customer. `qualified_times` holds every qualification time
    of each contact; `transitions` each contact's (to_stage, at) moves."""
    outcomes = {}
    for fact in facts:
        later = [t for t in qualified_times.get(fact.contact_id, ()) if t > fact.qualified_at]
        until = min(later) if later else None
        opportunity: list[datetime] = []
        customer: list[datetime] = []
        for to_stage, at in transitions.get(fact.contact_id, ()):
            if at < fact.qualified_at or (until is not None and at >= until):
                continue
            if to_stage in OPPORTUNITY_STAGES:
                opportunity.append(at)
            if to_stage in CUSTOMER_STAGES:
                customer.append(at)
        if fact.deal_created_at is not None:
            opportunity.append(fact.deal_created_at)
        if fact.deal_won_at is not None:
            customer.append(fact.deal_won_at)
            opportunity.append(fact.deal_won_at)
        outcomes[fact.handoff_id] = Outcome(
            opportunity_at=min(opportunity) if opportunity else None,
            customer_at=min(customer) if customer else None,
        )
    return outcomes


@dataclass
class QualityRow:
    group: Hashable
    label: str
    mqls: int = 0
    open: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    opportunities: int = 0
    customers: int = 0
    median_to_decision: timedelta | None = None
    median_to_opportunity: timedelta | None = None
    median_to_customer: timedelta | None = None

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted of the decided hand-offs (open ones are not decided yet)."""
        return rate(self.accepted, self.accepted + self.rejected)

    @property
    def opportunity_rate(self) -> float | None:
        return rate(self.opportunities, self.mqls)

    @property
    def customer_rate(self) -> float | None:
        return rate(self.customers, self.mqls)


def lead_quality(
    facts: Iterable[HandoffFact],
    *,
    outcomes: Mapping[int, Outcome],
    labels: Mapping[Hashable, str],
    none_label: str = "None",
) -> tuple[list[QualityRow], QualityRow]:
    """Rows per group (most MQLs first, then label) and the total row."""
    grouped: dict[Hashable, list[HandoffFact]] = defaultdict(list)
    every: list[HandoffFact] = []
    for fact in facts:
        grouped[fact.group].append(fact)
        every.append(fact)

    def build(group: Hashable, label: str, rows: list[HandoffFact]) -> QualityRow:
        row = QualityRow(group=group, label=label, mqls=len(rows))
        to_decision, to_opportunity, to_customer = [], [], []
        for fact in rows:
            if fact.status == "accepted":
                row.accepted += 1
            elif fact.status == "rejected":
                row.rejected += 1
                row.reasons[fact.reject_reason or "other"] += 1
            else:
                row.open += 1
            if fact.decided_at is not None and fact.status != "open":
                to_decision.append(fact.decided_at - fact.qualified_at)
            outcome = outcomes.get(fact.handoff_id)
            if outcome and outcome.opportunity_at is not None:
                row.opportunities += 1
                to_opportunity.append(outcome.opportunity_at - fact.qualified_at)
            if outcome and outcome.customer_at is not None:
                row.customers += 1
                to_customer.append(outcome.customer_at - fact.qualified_at)
        row.median_to_decision = median_duration(to_decision)
        row.median_to_opportunity = median_duration(to_opportunity)
        row.median_to_customer = median_duration(to_customer)
        return row

    rows = [
        build(group, labels.get(group, none_label) if group is not None else none_label, items)
        for group, items in grouped.items()
    ]
    rows.sort(key=lambda r: (-r.mqls, r.group is None, r.label.casefold()))
    return rows, build("total", "Total", every)
