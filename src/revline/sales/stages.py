"""Pure stage computations: the stage bar, time spent in each stage, and parsing typed stage lists.

No ORM here, so these can be tested and benchmarked alone.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import StageKind

MAX_STAGES = 20


@dataclass(frozen=True)
class StageInfo:
    stage_id: int
    name: str
    position: int
    probability: int
    kind: str


@dataclass(frozen=True)
class StageStep:
    stage_id: int
    name: str
    probability: int
    kind: str
    state: str  # "done", "current" or "" (not reached)


def stage_steps(stages: Sequence[StageInfo], *, current_stage_id: int) -> list[StageStep]:
    """The pipeline's stages in order, each marked done / current / not reached for one deal.

    Open stages before the current one are done; a won deal has passed every open stage, a lost
    deal may have been lost anywhere, so its open stages are left unmarked.
    """
    ordered = sorted(stages, key=lambda s: s.position)
    current = next((s for s in ordered if s.stage_id == current_stage_id), None)
    steps = []
    for stage in ordered:
        state = ""
        if current is not None and stage.stage_id == current.stage_id:
            state = "current"
        elif current is not None and stage.kind == StageKind.OPEN:
            passed = current.kind == StageKind.WON or (
                current.kind == StageKind.OPEN and stage.position < current.position
            )
            state = "done" if passed else ""
        steps.append(
            StageStep(
                stage_id=stage.stage_id,
                name=stage.name,
                probability=stage.probability,
                kind=stage.kind,
                state=state,
            )
        )
    return steps


@dataclass(frozen=True)
class StageEntry:
    """A deal entering a stage (one DealStageChange)."""

    stage: str
    at: datetime
    by: str = ""


@dataclass(frozen=True)
class StageSpan:
    stage: str
    entered_at: datetime
    left_at: datetime | None
    duration: timedelta | None
    by: str

    @property
    def duration_label(self) -> str:
        return format_duration(self.duration) if self.duration is not None else "—"


def stage_spans(entries: Sequence[StageEntry], *, until: datetime | None) -> list[StageSpan]:
    """Time spent in each visited stage, oldest first.

    Each stage lasts until the next entry; the last one lasts until `until` (now, for an open
    deal) or has no duration (None, for a closed deal: time spent "in Won" means nothing).
    """
    ordered = sorted(entries, key=lambda e: e.at)
    spans = []
    for index, entry in enumerate(ordered):
        is_last = index == len(ordered) - 1
        left_at = until if is_last else ordered[index + 1].at
        duration = max(left_at - entry.at, timedelta(0)) if left_at is not None else None
        spans.append(
            StageSpan(
                stage=entry.stage,
                entered_at=entry.at,
                left_at=None if is_last else left_at,
                duration=duration,
                by=entry.by,
            )
        )
    return spans


def format_duration(duration: timedelta) -> str:
    """A short human duration with the two largest units: '3d 4h', '5h 12m', '7m', '< 1m'."""
    minutes = int(duration.total_seconds() // 60)
    if minutes < 1:
        return "< 1m"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


class StageLinesError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


RESERVED_STAGE_NAMES = {"won", "lost"}


def parse_stage_lines(text: str) -> list[tuple[str, int]]:
    """Parse one open stage per line, written "Name, probability" (a % sign is allowed).

    Raises StageLinesError listing every bad line, so the user can fix them all at once.
    """
    stages: list[tuple[str, int]] = []
    errors: list[str] = []
    seen: set[str] = set()
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]
    for number, line in lines:
        if not line:
            continue
        name, sep, raw_probability = line.rpartition(",")
        name = name.strip()
        raw_probability = raw_probability.strip().removesuffix("%").strip()
        if not sep or not name:
            errors.append(f"Line {number}: write “Name, probability”, e.g. “Discovery, 25”.")
            continue
        if len(name) > 100:
            errors.append(f"Line {number}: the stage name is longer than 100 characters.")
            continue
        if not raw_probability.isdigit() or not 0 <= int(raw_probability) <= 100:
            errors.append(f"Line {number}: the probability must be a whole number from 0 to 100.")
            continue
        if name.lower() in RESERVED_STAGE_NAMES:
            errors.append(f"Line {number}: “{name}” is added automatically; leave it out.")
            continue
        if name.lower() in seen:
            errors.append(f"Line {number}: “{name}” is listed twice.")
            continue
        seen.add(name.lower())
        stages.append((name, int(raw_probability)))
    if not stages and not errors:
        errors.append("List at least one open stage.")
    if len(stages) > MAX_STAGES:
        errors.append(f"A pipeline can have at most {MAX_STAGES} open stages.")
    if errors:
        raise StageLinesError(errors)
    return stages


def with_closing_stages(open_stages: Sequence[tuple[str, int]]) -> list[tuple[str, int, str]]:
    """The open stages followed by the Won (100 %) and Lost (0 %) stages every pipeline ends with."""
    return [
        *((name, probability, StageKind.OPEN.value) for name, probability in open_stages),
        ("Won", 100, StageKind.WON.value),
        ("Lost", 0, StageKind.LOST.value),
    ]
