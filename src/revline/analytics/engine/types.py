"""The engine's vocabulary: aggregated journey rows in, credits per channel and model out.

Numbers are floats: conversions may be fractional once shared out, and value is whatever unit the
caller feeds in (the app passes its workspace currency and rounds for display).
"""

from dataclasses import dataclass, field

MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)

MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "position_based": "Position-based (40/20/40)",
    "time_decay": "Time decay",
    "markov": "Markov chain",
    "shapley": "Shapley value",
}


@dataclass(frozen=True, slots=True)
class PathRow:
    """Every journey that followed `path` (channels in order), aggregated.

    conversions: how many of them converted; value: what those conversions were worth in total;
    nulls: how many ended without converting. times: seconds before the conversion of each
    touch (same length as path), needed by time decay only.
    """

    path: tuple[str, ...]
    conversions: float
    value: float
    nulls: float
    times: tuple[float, ...] | None = None


@dataclass(slots=True)
class Credit:
    conversions: float = 0.0
    value: float = 0.0


@dataclass
class AttributionResult:
    """credits: model -> channel -> Credit; every channel seen in a path is listed for every model.

    For each model, the credits plus `skipped[model]` (if any) sum to total_conversions and
    total_value. Rows with an empty path cannot be credited to any channel: they are left out of
    the totals and counted in `unattributed`.
    """

    credits: dict[str, dict[str, Credit]] = field(default_factory=dict)
    removal_effects: dict[str, float] = field(default_factory=dict)
    total_conversions: float = 0.0
    total_value: float = 0.0
    total_nulls: float = 0.0
    unattributed: Credit = field(default_factory=Credit)
    skipped: dict[str, Credit] = field(default_factory=dict)
    # Markov only: the chain's probability of converting from the start, all channels present.
    conversion_probability: float | None = None
    warnings: list[str] = field(default_factory=list)
