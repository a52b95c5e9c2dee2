"""The attribution engine: pure functions, no ORM, shared by the app and `revline attribution`.

    from revline.analytics.engine import PathRow, attribute, MODELS
    result = attribute(rows, models=["markov", "shapley"], markov_order=1, half_life_days=7.0)
    result.credits["markov"]["email"].conversions

See docs/attribution-models.md for what each model means.
"""

from .compute import attribute
from .types import MODEL_LABELS, MODELS, AttributionResult, Credit, PathRow

__all__ = ["MODELS", "MODEL_LABELS", "AttributionResult", "Credit", "PathRow", "attribute"]
