"""Won/lost analysis as pure functions: closed deals in, win rates per group out. No ORM here."""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .objection_stats import percent

NONE_LABEL = "—"


@dataclass(frozen=True)
class ClosedDealFact:
    """One closed deal, with the key of each group it falls in (None: not known)."""

    deal_id: int
    won: bool
    furthest_stage: Hashable | None = None
    reason: Hashable | None = None
    competitor: Hashable | None = None
    owner: Hashable | None = None
    source: Hashable | None = None


@dataclass(frozen=True)
class WinRateRow:
    key: Hashable | None
    label: str
    won: int
    lost: int

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return percent(self.won, self.closed)


@dataclass(frozen=True)
class ShareRow:
    key: Hashable | None
    label: str
    deals: int
    share: float | None  # percent of the deals of the same outcome


def furthest_stages(entries: Iterable[tuple[int, Hashable, int]]) -> dict[int, Hashable]:
    """For each deal, the open stage of highest position it ever entered.

    `entries` are (deal id, stage key, stage position) of the open stages each deal entered,
    in any order; a deal moved back keeps the furthest stage it reached.
    """
    best: dict[int, tuple[int, Hashable]] = {}
    for deal_id, stage, position in entries:
        if deal_id not in best or position > best[deal_id][0]:
            best[deal_id] = (position, stage)
    return {deal_id: stage for deal_id, (_, stage) in best.items()}


def win_rates(
    pairs: Iterable[tuple[Hashable | None, bool]],
    *,
    labels: Mapping[Hashable, str],
    order: Sequence[Hashable] | None = None,
) -> list[WinRateRow]:
    """Won and lost deals per key. Rows follow `order` when given (keys outside it come after,
    by label), else the most closed deals first; the unknown key (None) is always last."""
    counts: dict[Hashable | None, list[int]] = {}
    for key, won in pairs:
        tally = counts.setdefault(key, [0, 0])
        tally[0 if won else 1] += 1
    rows = [
        WinRateRow(
            key=key,
            label=labels.get(key, NONE_LABEL) if key is not None else NONE_LABEL,
            won=won,
            lost=lost,
        )
        for key, (won, lost) in counts.items()
    ]
    if order is not None:
        rank = {key: i for i, key in enumerate(order)}
        rows.sort(
            key=lambda r: (
                r.key is None,
                rank.get(r.key, len(rank)) if r.key is not None else 0,
                r.label,
            )
        )
    else:
        rows.sort(key=lambda r: (r.key is None, -r.closed, r.label))
    return rows


def shares(keys: Iterable[Hashable | None], *, labels: Mapping[Hashable, str]) -> list[ShareRow]:
    """How many deals per key, and their share of all deals given, most first (None last)."""
    counts: dict[Hashable | None, int] = {}
    total = 0
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
        total += 1
    rows = [
        ShareRow(
            key=key,
            label=labels.get(key, NONE_LABEL) if key is not None else NONE_LABEL,
            deals=n,
            share=percent(n, total),
        )
        for key, n in counts.items()
    ]
    rows.sort(key=lambda r: (r.key is None, -r.deals, r.label))
    return rows


@dataclass(frozen=True)
class WinLossReport:
    won: int
    lost: int
    by_stage: list[WinRateRow]
    by_owner: list[WinRateRow]
    by_source: list[WinRateRow]
    won_reasons: list[ShareRow]
    lost_reasons: list[ShareRow]
    competitors: list[ShareRow]

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return percent(self.won, self.closed)


def win_loss_report(
    deals: Sequence[ClosedDealFact],
    *,
    labels: Mapping[Hashable, str],
    stage_order: Sequence[Hashable] = (),
) -> WinLossReport:
    """Win rates by furthest stage reached, owner and lead source; close reasons and the
    competitors lost to as shares (a reason belongs to won or lost deals only, so its "win
    rate" would always be 0 or 100 %).

    `labels` names every key (stage, owner, source, reason and competitor keys must not clash:
    use tuples such as ("owner", 3)).
    """
    won = [d for d in deals if d.won]
    lost = [d for d in deals if not d.won]
    return WinLossReport(
        won=len(won),
        lost=len(lost),
        by_stage=win_rates(
            ((d.furthest_stage, d.won) for d in deals), labels=labels, order=stage_order
        ),
        by_owner=win_rates(((d.owner, d.won) for d in deals), labels=labels),
        by_source=win_rates(((d.source, d.won) for d in deals), labels=labels),
        won_reasons=shares((d.reason for d in won), labels=labels),
        lost_reasons=shares((d.reason for d in lost), labels=labels),
        competitors=shares((d.competitor for d in lost), labels=labels),
    )
