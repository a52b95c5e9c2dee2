"""Pure computations of the funnels: the lifecycle funnel of a cohort of contacts and the rows of
an event funnel. No ORM here: funnel_selectors loads plain values and passes them in.

Stage reach comes from leads.reports.journey (the same replay of lifecycle moves the hand-off
conversion report uses), so both reports agree on when a contact reached a stage."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from revline.leads import reports

VISITOR = "visitor"
LIFECYCLE_STEPS: tuple[str, ...] = ("lead", "mql", "sal", "sql", "opportunity", "customer")
FUNNEL_STAGES: tuple[str, ...] = (VISITOR, *LIFECYCLE_STEPS)
STAGE_LABELS = {
    "visitor": "Visitor",
    "lead": "Lead",
    "mql": "MQL",
    "sal": "SAL",
    "sql": "SQL",
    "opportunity": "Opportunity",
    "customer": "Customer",
}

MIN_STEPS = 2
MAX_STEPS = 5
MAX_PATTERN = 200
MATCH_MODES = ("contains", "regex")


# --- Lifecycle funnel ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One contact of the cohort: when it was first seen and when it reached each funnel stage."""

    first_seen_at: datetime | None  # its first touchpoint; None when it was never tracked
    reached: Mapping[str, datetime]  # funnel stage (lead…customer) -> first reached
    skipped: frozenset[str]  # stages it only passed through (never stood in)


def member(*, journey: reports.Journey, first_seen_at: datetime | None) -> Member:
    """A contact's funnel view of its lifecycle journey.

    A stage counts as reached when the contact reached it or any later one (a contact that came
    back from recycled straight to SQL has passed MQL too), at the earliest of those times, so
    the counts never grow down the funnel and no time between stages is negative. A stage the
    contact reached only through a later one, or jumped over, is *skipped*."""
    reached: dict[str, datetime] = {}
    skipped: set[str] = set()
    for stage in LIFECYCLE_STEPS:
        times = [
            journey.reached[later]
            for later in reports.FORWARD[reports.RANK[stage] :]
            if later in journey.reached
        ]
        if not times:
            continue
        reached[stage] = min(times)
        if stage not in journey.reached or stage in journey.skipped:
            skipped.add(stage)
    return Member(first_seen_at=first_seen_at, reached=reached, skipped=frozenset(skipped))


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    label: str
    count: int
    step_rate: float | None  # percent of the previous stage; None for the first
    overall_rate: float | None  # percent of the first stage
    median_from_previous: timedelta | None  # median time from the previous stage to this one
    timed: int  # how many contacts that median is over


def lifecycle_funnel(members: Iterable[Member], *, anonymous_visitors: int = 0) -> list[FunnelStep]:
    """The funnel of a cohort: visitor → lead → MQL → SAL → SQL → opportunity → customer.

    Visitors are the cohort's contacts plus `anonymous_visitors` (people seen in the period who
    never became a contact): every contact counts as a visitor even if it was imported without a
    tracked visit, so the funnel never widens. The median time from visitor to lead runs from the
    contact's first touchpoint (contacts never tracked, or tracked only after becoming a lead,
    are left out); between later stages it runs from first reaching one stage to first reaching
    the next, leaving out contacts that skipped the earlier stage."""
    members = list(members)
    counts = [len(members) + anonymous_visitors]
    medians: list[tuple[timedelta | None, int]] = [(None, 0)]
    for i, stage in enumerate(LIFECYCLE_STEPS):
        arrived = [m for m in members if stage in m.reached]
        counts.append(len(arrived))
        durations: list[timedelta] = []
        for m in arrived:
            if i == 0:
                start = m.first_seen_at
                if start is None or start > m.reached[stage]:
                    continue
            else:
                previous = LIFECYCLE_STEPS[i - 1]
                if previous in m.skipped:
                    continue
                start = m.reached[previous]
            durations.append(m.reached[stage] - start)
        medians.append((reports.median_duration(durations), len(durations)))
    return [
        FunnelStep(
            stage=stage,
            label=STAGE_LABELS[stage],
            count=counts[i],
            step_rate=reports.rate(counts[i], counts[i - 1]) if i else None,
            overall_rate=reports.rate(counts[i], counts[0]),
            median_from_previous=medians[i][0],
            timed=medians[i][1],
        )
        for i, stage in enumerate(FUNNEL_STAGES)
    ]


# --- Event funnels ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """One step of an event funnel: a touchpoint kind, optionally only where its URL matches."""

    kind: str
    match: str = ""  # "", "contains" or "regex"
    pattern: str = ""

    def describe(self, kind_labels: Mapping[str, str]) -> str:
        label = kind_labels.get(self.kind, self.kind)
        if self.match == "contains":
            return f"{label} (URL contains “{self.pattern}”)"
        if self.match == "regex":
            return f"{label} (URL matches /{self.pattern}/)"
        return label


class StepError(ValueError):
    """A step definition that cannot be used: `step` is its 1-based position (0: the whole list),
    `part` the bad part ("kind", "match", "pattern"; "" for the whole list)."""

    def __init__(self, step: int, part: str, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.part = part
        self.message = message


def validate_steps(steps: Sequence[StepSpec], *, kinds: Iterable[str]) -> list[StepSpec]:
    """The steps, checked: 2 to 5 of them, known kinds, a pattern exactly when a match mode is
    chosen, patterns of at most MAX_PATTERN characters, regular expressions that compile.
    Raises StepError naming the first bad step."""
    known = set(kinds)
    for number, step in enumerate(steps, start=1):
        if step.kind not in known:
            raise StepError(number, "kind", f"Step {number}: choose a kind of touchpoint.")
        if step.match not in ("", *MATCH_MODES):
            raise StepError(number, "match", f"Step {number}: unknown URL match {step.match!r}.")
        if step.match and not step.pattern:
            raise StepError(number, "pattern", f"Step {number}: enter the URL text to match.")
        if step.pattern and not step.match:
            raise StepError(number, "match", f"Step {number}: choose how the URL should match.")
        if len(step.pattern) > MAX_PATTERN:
            raise StepError(number, "pattern", f"Step {number}: at most {MAX_PATTERN} characters.")
        if step.match == "regex":
            try:
                re.compile(step.pattern)
            except re.error as exc:
                raise StepError(
                    number, "pattern", f"Step {number}: not a valid pattern ({exc})."
                ) from None
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise StepError(0, "", f"A funnel has {MIN_STEPS} to {MAX_STEPS} steps.")
    return list(steps)


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern that matches it anywhere, with % _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class EventStepRow:
    number: int
    label: str
    count: int
    dropped: int  # people who did the previous step but not this one in the window
    step_rate: float | None  # percent of the previous step
    overall_rate: float | None  # percent of the first step


def event_funnel_rows(counts: Sequence[int], labels: Sequence[str]) -> list[EventStepRow]:
    """Counts per step (people who did the steps up to it, in order) → rows with drop-off."""
    rows = []
    for i, (count, label) in enumerate(zip(counts, labels, strict=True)):
        previous = counts[i - 1] if i else None
        rows.append(
            EventStepRow(
                number=i + 1,
                label=label,
                count=count,
                dropped=previous - count if previous is not None else 0,
                step_rate=reports.rate(count, previous) if previous is not None else None,
                overall_rate=reports.rate(count, counts[0]),
            )
        )
    return rows
