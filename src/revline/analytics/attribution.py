"""Attribution models as pure functions: journeys in, credit per touch key out. No ORM here.

A journey is the ordered list of keys (campaign ids, channels, …) of the touches that led to one
conversion worth `value`. Every model hands out exactly the journey's value (to the cent) and
exactly one conversion per journey, so totals always reconcile with won revenue.
"""

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class Model(StrEnum):
    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"


MODEL_LABELS = {
    Model.FIRST_TOUCH: "First touch",
    Model.LAST_TOUCH: "Last touch",
    Model.LINEAR: "Linear",
}


@dataclass(frozen=True)
class Journey:
    value: Decimal
    touches: Sequence[Hashable]


@dataclass
class Credit:
    revenue: Decimal = Decimal("0")
    conversions: float = 0.0


@dataclass
class AttributionResult:
    credits: dict[Hashable, Credit] = field(default_factory=dict)
    unattributed_revenue: Decimal = Decimal("0")
    unattributed_conversions: int = 0

    @property
    def total_revenue(self) -> Decimal:
        return (
            sum((c.revenue for c in self.credits.values()), Decimal("0"))
            + self.unattributed_revenue
        )


def split_evenly(value: Decimal, parts: int) -> list[Decimal]:
    """Split to the cent, the leftover cents going to the earliest parts, so the parts sum to value."""
    base = (value / parts).quantize(CENT, rounding=ROUND_DOWN)
    leftover_cents = int(((value - base * parts) / CENT).to_integral_value())
    return [base + CENT if i < leftover_cents else base for i in range(parts)]


def touch_weights(model: Model, touch_count: int) -> list[float]:
    if touch_count == 0:
        return []
    if model is Model.FIRST_TOUCH:
        return [1.0] + [0.0] * (touch_count - 1)
    if model is Model.LAST_TOUCH:
        return [0.0] * (touch_count - 1) + [1.0]
    return [1.0 / touch_count] * touch_count


def _revenue_shares(model: Model, value: Decimal, touch_count: int) -> list[Decimal]:
    if model is Model.LINEAR:
        return split_evenly(value, touch_count)
    return [value if w == 1.0 else Decimal("0") for w in touch_weights(model, touch_count)]


def attribute(journeys: Sequence[Journey], model: Model) -> AttributionResult:
    result = AttributionResult()
    credits: dict[Hashable, Credit] = defaultdict(Credit)
    for journey in journeys:
        if not journey.touches:
            result.unattributed_revenue += journey.value
            result.unattributed_conversions += 1
            continue
        weights = touch_weights(model, len(journey.touches))
        shares = _revenue_shares(model, journey.value, len(journey.touches))
        for key, weight, share in zip(journey.touches, weights, shares, strict=True):
            if weight == 0.0:
                continue
            credit = credits[key]
            credit.revenue += share
            credit.conversions += weight
    result.credits = dict(credits)
    return result
