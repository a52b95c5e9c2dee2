"""Demo predictive scoring: one model trained on the demo's own history, every contact scored.

The demo's buyers hold decision-maker titles and keep engaging while their deal runs, so the
model has real signal to find; training runs synchronously here, as the worker would run it.
"""

import random
from datetime import datetime

from revline.leads.models import ModelStatus, PredictiveModel
from revline.leads.predictive_services import predictive_train
from revline.leads.selectors import lead_settings_get


def build_predictive(*, rng: random.Random, now: datetime) -> None:
    """Train (and score with) a model as of `now`; deterministic: the models' random_state is
    fixed, so `rng` is not needed."""
    del rng
    run = PredictiveModel.objects.create(
        status=ModelStatus.QUEUED,
        requested_at=now,
        horizon_days=lead_settings_get().prediction_horizon_days,
    )
    predictive_train(model_id=run.pk, now=now)
