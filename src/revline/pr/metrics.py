"""PR figures as pure functions (no ORM): the monthly coverage series, share of voice, and the
rules for competitor names.

Share of voice in a period = our mentions ÷ all mentions. A coverage entry that is about us is
one mention of us; every competitor it names is one mention of that competitor. So a piece about
us that also names two competitors counts 1 for us and 1 for each competitor (3 in total). The
reach-weighted share does the same with each entry's estimated reach instead of 1.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

COMPETITOR_NAME_MAX = 100
COMPETITORS_PER_ENTRY_MAX = 20
MAX_PERIOD_MONTHS = 120
PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class Mention:
    """One coverage entry, reduced to what the charts need."""

    published_on: date
    reach: int
    sentiment: str
    about_us: bool
    competitors: tuple[str, ...] = ()


@dataclass(frozen=True)
class MonthPoint:
    month: date  # the first day of the month
    coverage: int
    reach: int
    positive: int
    neutral: int
    negative: int

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")


@dataclass(frozen=True)
class VoiceShare:
    name: str
    is_us: bool
    mentions: int
    share: Decimal | None  # percent with one decimal; None when nobody was mentioned
    reach: int
    reach_share: Decimal | None


@dataclass(frozen=True)
class ShareOfVoice:
    rows: list[VoiceShare]  # us first, then competitors by mentions (most first), then name
    total_mentions: int
    total_reach: int

    @property
    def ours(self) -> VoiceShare:
        return self.rows[0]


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """First days of every month from `start`'s to `end`'s, both included."""
    first, last = month_start(start), month_start(end)
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


def period_months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def default_period(today: date, months: int = 12) -> tuple[date, date]:
    """The last `months` calendar months, the current one included."""
    return add_months(month_start(today), -(months - 1)), today


def period_resolve(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """A report period with defaults: `end` is today (or `start` when that is later), `start`
    is 11 months before `end`'s month. Raises ValueError when it is reversed or too long."""
    end = end or max(today, start or today)
    start = start or default_period(end)[0]
    if start > end:
        raise ValueError("The start date must be on or before the end date.")
    if period_months(start, end) > MAX_PERIOD_MONTHS:
        raise ValueError(f"Choose a period of at most {MAX_PERIOD_MONTHS // 12} years.")
    return start, end


def monthly_series(mentions: Iterable[Mention], *, start: date, end: date) -> list[MonthPoint]:
    """Coverage about us per month from `start` to `end` (inclusive), empty months as zeros.

    Entries that only name competitors are not our coverage and are left out.
    """
    months = months_between(start, end)
    totals = {
        m: {"coverage": 0, "reach": 0, "positive": 0, "neutral": 0, "negative": 0} for m in months
    }
    for mention in mentions:
        if not mention.about_us or not start <= mention.published_on <= end:
            continue
        bucket = totals[month_start(mention.published_on)]
        bucket["coverage"] += 1
        bucket["reach"] += mention.reach
        if mention.sentiment in ("positive", "neutral", "negative"):
            bucket[mention.sentiment] += 1
    return [MonthPoint(month=m, **totals[m]) for m in months]


def percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def share_of_voice(mentions: Iterable[Mention], *, us_label: str = "Us") -> ShareOfVoice:
    """Share of voice of us and of each competitor named in `mentions` (see the module doc)."""
    ours_count = ours_reach = 0
    counts: dict[str, int] = {}
    reaches: dict[str, int] = {}
    names: dict[str, str] = {}
    for mention in mentions:
        if mention.about_us:
            ours_count += 1
            ours_reach += mention.reach
        for key, name in {n.casefold(): n for n in reversed(mention.competitors)}.items():
            names.setdefault(key, name)
            counts[key] = counts.get(key, 0) + 1
            reaches[key] = reaches.get(key, 0) + mention.reach
    total = ours_count + sum(counts.values())
    total_reach = ours_reach + sum(reaches.values())
    rows = [
        VoiceShare(
            name=us_label,
            is_us=True,
            mentions=ours_count,
            share=percent(ours_count, total),
            reach=ours_reach,
            reach_share=percent(ours_reach, total_reach),
        )
    ]
    for key in sorted(counts, key=lambda k: (-counts[k], names[k].casefold())):
        rows.append(
            VoiceShare(
                name=names[key],
                is_us=False,
                mentions=counts[key],
                share=percent(counts[key], total),
                reach=reaches[key],
                reach_share=percent(reaches[key], total_reach),
            )
        )
    return ShareOfVoice(rows=rows, total_mentions=total, total_reach=total_reach)


def competitor_names_parse(text: str) -> list[str]:
    """'Acme,  acme , Globex   Corp\nInitech' -> ['Acme', 'Globex Corp', 'Initech'].

    Split on commas and new lines, then normalised by competitor_names_clean.
    """
    return competitor_names_clean(text.replace("\n", ",").split(","))


def competitor_names_clean(names: Iterable[str]) -> list[str]:
    """Collapse inner spaces, drop blanks and case-insensitive repeats (the first spelling wins).

    Raises ValueError saying what is wrong when a name or the list is too long.
    """
    cleaned: list[str] = []
    seen: set[str] = set()
    for raw in names:
        name = " ".join(raw.split())
        if not name or name.casefold() in seen:
            continue
        if len(name) > COMPETITOR_NAME_MAX:
            raise ValueError(
                f"Competitor names can be at most {COMPETITOR_NAME_MAX} characters "
                f"(“{name[:30]}…” has {len(name)})."
            )
        seen.add(name.casefold())
        cleaned.append(name)
    if len(cleaned) > COMPETITORS_PER_ENTRY_MAX:
        raise ValueError(f"Name at most {COMPETITORS_PER_ENTRY_MAX} competitors per entry.")
    return cleaned
