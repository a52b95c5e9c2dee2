"""Predictive lead scoring, the database part: training examples from the workspace's history,
the lifecycle of a training run, scoring every contact, and one contact's explanation.

Training examples (why several reference dates): a single reference date T = now - horizon
gives too few conversions in a young workspace, so the history is cut into consecutive,
non-overlapping windows of `horizon` days going back from now (at most MAX_WINDOWS). For each
window start T, every contact created before T who was not yet a customer at T is one example;
its features are computed from what was known at T (fit fields, touches before T) and its label
is whether it became a customer (a lifecycle transition to customer/evangelist, or a won deal on
it) within `horizon` days after T. Each conversion is thus counted once, in the window it falls
in. Snapshots of one contact stay on one side of the held-out split (predictive.held_out_split).
No feature looks past T: no lifecycle stage, no rule-based score, no order touchpoint.
Fit fields (title, company, country, source) are read as they are today: Revline keeps no
history of them, and they rarely change.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Max, Min
from django.utils import timezone

from revline.core.models import User
from revline.core.permissions import can_manage_marketing, require
from revline.people.models import Contact, LifecycleStage
from revline.sales.models import Deal, DealStatus
from revline.tracking.models import Touchpoint, TouchpointKind

from . import predictive
from .models import LifecycleTransition, ModelStatus, PredictiveModel
from .selectors import lead_settings_get

logger = logging.getLogger(__name__)

DAY = 86400.0
MAX_WINDOWS = 4
CHUNK = 2000
RECENT_DAYS = 30
NO_TOUCH_DAYS = 365
MAX_AGE_DAYS = 730
# A run still queued or training after this long was lost (worker stopped): it is failed so
# that a new one can start.
STALE_AFTER = timedelta(hours=6)
IN_PROGRESS = (ModelStatus.QUEUED, ModelStatus.TRAINING)
CUSTOMER_STAGES = (LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST)

# An order means the contact already bought: a feature built from it would leak the label.
KINDS = [kind for kind in TouchpointKind.values if kind != TouchpointKind.ORDER]
CATEGORICAL = ["seniority", "industry", "size", "country", "source"]
NUMERIC = [
    *(f"touch_{kind}" for kind in KINDS),
    "pricing_views",
    "campaigns",
    "touches_30d",
    "days_since_touch",
    "age_days",
]
TEMPLATES: dict[str, tuple[str, str, str]] = {
    "touch_click": ("No link clicks", "1 link click", "{n} link clicks"),
    "touch_page_view": ("No page views", "1 page view", "{n} page views"),
    "touch_cta_click": ("No CTA clicks", "1 CTA click", "{n} CTA clicks"),
    "touch_form_submission": ("No forms submitted", "1 form submitted", "{n} forms submitted"),
    "touch_email_open": ("No emails opened", "1 email opened", "{n} emails opened"),
    "touch_email_click": ("No email clicks", "1 email click", "{n} email clicks"),
    "touch_event_attendance": ("Attended no events", "Attended 1 event", "Attended {n} events"),
    "touch_pr_visit": ("No PR coverage visits", "1 PR coverage visit", "{n} PR coverage visits"),
    "touch_meeting_booked": ("No meeting booked", "Booked 1 meeting", "Booked {n} meetings"),
    "pricing_views": ("Never viewed /pricing", "Viewed /pricing once", "Viewed /pricing {n} times"),
    "campaigns": ("Reached by no campaign", "Reached by 1 campaign", "Reached by {n} campaigns"),
    "touches_30d": (
        "No touches in the last 30 days",
        "1 touch in the last 30 days",
        "{n} touches in the last 30 days",
    ),
    "days_since_touch": ("Touched today", "Last touch 1 day ago", "Last touch {n} days ago"),
    "age_days": ("Created today", "Created 1 day ago", "Known for {n} days"),
}


def can_manage_predictive(user: User) -> bool:
    """Admins and marketers train the model and read its report."""
    return can_manage_marketing(user)


# ---- reading the history ---------------------------------------------------------------------


@dataclass
class People:
    """Contacts as arrays, in ascending id order."""

    ids: np.ndarray
    created: np.ndarray  # epoch seconds
    customer_at: np.ndarray  # epoch seconds of the first conversion, nan if none is known
    customer_undated: np.ndarray  # a customer today whose conversion has no date
    customer_stage: np.ndarray  # in a customer stage today
    categorical: dict[str, list[str]]

    def take(self, rows: np.ndarray) -> dict[str, list[str]]:
        return {name: [values[i] for i in rows] for name, values in self.categorical.items()}


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def people_load(contact_ids: list[int] | None = None) -> People:
    """Every contact (or the given ones) with its fit fields and its first conversion."""
    contacts = Contact.objects.order_by("pk")
    if contact_ids is not None:
        contacts = contacts.filter(pk__in=contact_ids)
    rows = list(
        contacts.values_list(
            "pk",
            "created_at",
            "title",
            "country",
            "source",
            "lifecycle_stage",
            "company__industry",
            "company__size",
            "company__country",
        )
    )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    converted: dict[int, datetime] = {}
    transitions = LifecycleTransition.objects.filter(to_stage__in=CUSTOMER_STAGES)
    deals = Deal.objects.filter(status=DealStatus.WON, contact__isnull=False)
    if contact_ids is not None:
        transitions = transitions.filter(contact_id__in=contact_ids)
        deals = deals.filter(contact_id__in=contact_ids)
    for source in (
        transitions.values("contact_id").annotate(at=Min("occurred_at")),
        deals.filter(closed_at__isnull=False).values("contact_id").annotate(at=Min("closed_at")),
    ):
        for row in source.values_list("contact_id", "at"):
            contact_id, at = row
            if contact_id not in converted or at < converted[contact_id]:
                converted[contact_id] = at
    customer_at = np.array(
        [_epoch(converted[r[0]]) if r[0] in converted else math.nan for r in rows], dtype=float
    )
    stage = np.array([r[5] in CUSTOMER_STAGES for r in rows], dtype=bool)
    undated = stage & np.isnan(customer_at)
    categorical = {
        "seniority": [predictive.title_seniority(r[2] or "") for r in rows],
        "industry": [(r[6] or "").strip() for r in rows],
        "size": [r[7] or "" for r in rows],
        "country": [(r[3] or r[8] or "").upper() for r in rows],
        "source": [(r[4] or "").strip().lower() for r in rows],
    }
    return People(
        ids=ids,
        created=np.array([_epoch(r[1]) for r in rows], dtype=float),
        customer_at=customer_at,
        customer_undated=undated,
        customer_stage=stage,
        categorical=categorical,
    )


def engagement_at(people: People, moments: list[float]) -> list[dict[str, np.ndarray]]:
    """For each moment, the engagement features of every contact from the touches before it.

    Touchpoints are read once, a chunk of contacts at a time (by id range), for all moments."""
    n = len(people.ids)
    out = [{name: np.zeros(n) for name in NUMERIC} for _ in moments]
    kind_index = {kind: i for i, kind in enumerate(KINDS)}
    for start in range(0, n, CHUNK):
        chunk = people.ids[start : start + CHUNK]
        rows = Touchpoint.objects.filter(
            contact_id__gte=int(chunk[0]), contact_id__lte=int(chunk[-1])
        ).values_list("contact_id", "kind", "occurred_at", "campaign_id", "url")
        contact, kind, when, campaign, pricing = [], [], [], [], []
        for contact_id, touch_kind, occurred_at, campaign_id, url in rows.iterator(chunk_size=5000):
            if touch_kind not in kind_index:
                continue
            contact.append(contact_id)
            kind.append(kind_index[touch_kind])
            when.append(_epoch(occurred_at))
            campaign.append(campaign_id or 0)
            pricing.append(touch_kind == TouchpointKind.PAGE_VIEW and "/pricing" in url.lower())
        position = np.searchsorted(chunk, np.array(contact, dtype=np.int64))
        known = (position < len(chunk)) & (chunk[np.minimum(position, len(chunk) - 1)] == contact)
        position = position[known]
        kinds = np.array(kind, dtype=int)[known]
        times = np.array(when, dtype=float)[known]
        campaigns = np.array(campaign, dtype=np.int64)[known]
        pricing_views = np.array(pricing, dtype=bool)[known]
        m = len(chunk)
        for features, moment in zip(out, moments, strict=True):
            before = times < moment
            for name, i in kind_index.items():
                features[f"touch_{name}"][start : start + m] = np.bincount(
                    position[before & (kinds == i)], minlength=m
                )
            features["pricing_views"][start : start + m] = np.bincount(
                position[before & pricing_views], minlength=m
            )
            pairs = np.unique(
                position[before & (campaigns > 0)] * (1 << 32) + campaigns[before & (campaigns > 0)]
            )
            features["campaigns"][start : start + m] = np.bincount(pairs >> 32, minlength=m)
            features["touches_30d"][start : start + m] = np.bincount(
                position[before & (times >= moment - RECENT_DAYS * DAY)], minlength=m
            )
            last = np.full(m, -np.inf)
            np.maximum.at(last, position[before], times[before])
            features["days_since_touch"][start : start + m] = np.minimum(
                (moment - last) / DAY, NO_TOUCH_DAYS
            )
    for features, moment in zip(out, moments, strict=True):
        features["age_days"] = np.clip((moment - people.created) / DAY, 0, MAX_AGE_DAYS)
    return out


@dataclass
class TrainingSet:
    categorical: dict[str, list[str]]
    numeric: dict[str, np.ndarray]
    labels: np.ndarray
    groups: np.ndarray
    windows: list[dict[str, Any]] = field(default_factory=list)


def training_set_build(*, now: datetime, horizon_days: int) -> TrainingSet:
    """Examples from consecutive `horizon_days` windows back from `now` (see the module doc)."""
    people = people_load()
    horizon = horizon_days * DAY
    end = _epoch(now)
    earliest = float(people.created.min()) if len(people.ids) else end
    starts = [end - horizon * (k + 1) for k in range(MAX_WINDOWS)]
    starts = [t for t in starts if t > earliest]
    engagement = engagement_at(people, starts)
    categorical: dict[str, list[str]] = {name: [] for name in CATEGORICAL}
    numeric: dict[str, list[np.ndarray]] = {name: [] for name in NUMERIC}
    labels: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    windows = []
    for start, features in zip(starts, engagement, strict=True):
        with np.errstate(invalid="ignore"):
            converted_before = people.customer_at <= start
            label = people.customer_at <= start + horizon
        eligible = (people.created < start) & ~converted_before & ~people.customer_undated
        rows = np.flatnonzero(eligible)
        for name, values in people.take(rows).items():
            categorical[name].extend(values)
        for name in NUMERIC:
            numeric[name].append(features[name][rows])
        labels.append(label[rows].astype(int))
        groups.append(people.ids[rows])
        windows.append(
            {
                "reference": datetime.fromtimestamp(start, tz=now.tzinfo).isoformat(),
                "examples": len(rows),
                "positives": int(label[rows].sum()),
            }
        )
    return TrainingSet(
        categorical=categorical,
        numeric={
            name: np.concatenate(parts) if parts else np.zeros(0) for name, parts in numeric.items()
        },
        labels=np.concatenate(labels) if labels else np.zeros(0, dtype=int),
        groups=np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64),
        windows=windows,
    )


# ---- the run lifecycle -----------------------------------------------------------------------


def _expire_stale_runs(now: datetime) -> None:
    PredictiveModel.objects.filter(
        status__in=IN_PROGRESS, requested_at__lt=now - STALE_AFTER
    ).update(
        status=ModelStatus.FAILED,
        finished_at=now,
        message="The run did not finish within 6 hours (was the worker stopped?).",
    )


def predictive_run_in_progress() -> PredictiveModel | None:
    return PredictiveModel.objects.filter(status__in=IN_PROGRESS).order_by("-requested_at").first()


def predictive_retrain_request(
    *, actor: User | None, now: datetime | None = None
) -> PredictiveModel:
    """Queue a training run (in the background, after the commit) and return it at once.

    Only one run at a time: raises ValidationError while another is queued or training.
    `actor` None is the scheduler."""
    if actor is not None:
        require(can_manage_predictive(actor), "Only admins and marketers retrain the model.")
    now = now or timezone.now()
    with transaction.atomic():
        _expire_stale_runs(now)
        running = predictive_run_in_progress()
        if running is not None:
            raise ValidationError(
                f"A training run is already {running.get_status_display().lower()} "
                f"(requested {running.requested_at:%b %d, %H:%M} UTC); wait for it to finish."
            )
        run = PredictiveModel.objects.create(
            status=ModelStatus.QUEUED,
            requested_by=actor,
            requested_at=now,
            horizon_days=lead_settings_get().prediction_horizon_days,
        )
        from .predictive_tasks import predictive_train_task

        transaction.on_commit(lambda: predictive_train_task.enqueue(run.pk))
    return run


def predictive_retrain_if_due(now: datetime | None = None) -> PredictiveModel | None:
    """Periodic job: queue a run when the newest one is older than
    LeadSettings.retrain_every_days (empty: never), unless one is in progress."""
    now = now or timezone.now()
    every = lead_settings_get().retrain_every_days
    if not every:
        return None
    _expire_stale_runs(now)
    if predictive_run_in_progress() is not None:
        return None
    last = PredictiveModel.objects.order_by("-requested_at").first()
    if last is not None and last.requested_at > now - timedelta(days=every):
        return None
    try:
        return predictive_retrain_request(actor=None, now=now)
    except ValidationError:
        return None


def predictive_train(*, model_id: int, now: datetime | None = None) -> PredictiveModel | None:
    """Train the queued run `model_id`, store its model and report, and score every contact.

    Idempotent: a run no longer queued is left alone (returns None). Never raises: a history
    too thin ends REFUSED (no artifact, earlier scores kept), an error ends FAILED with its
    message (earlier scores kept). Scores and the READY status are written in one transaction.
    """
    claimed = PredictiveModel.objects.filter(pk=model_id, status=ModelStatus.QUEUED).update(
        status=ModelStatus.TRAINING
    )
    if not claimed:
        return None
    run = PredictiveModel.objects.get(pk=model_id)
    fixed = now

    def finish() -> datetime:
        # A given `now` (the demo, tests) is the clock for the whole run.
        return fixed or timezone.now()

    now = now or timezone.now()
    windows: list[dict[str, Any]] = []
    try:
        data = training_set_build(now=now, horizon_days=run.horizon_days)
        windows = data.windows
        encoder = predictive.encoder_fit(data.categorical, NUMERIC)
        X = encoder.transform(data.categorical, data.numeric)
        result = predictive.train_and_select(X, data.labels, groups=data.groups)
        bundle = predictive.ModelBundle(
            model=result.model,
            encoder=encoder,
            baseline=predictive.baseline_fit(data.categorical, data.numeric),
            algorithm=result.algorithm,
        )
        artifact = predictive.bundle_dump(bundle)
        scores = _score_everyone(bundle, now)
        with transaction.atomic():
            _write_scores(scores)
            run.status = ModelStatus.READY
            run.algorithm = result.algorithm
            run.auc = round(result.auc, 4)
            run.report = {
                **result.report,
                "windows": windows,
                "horizon_days": run.horizon_days,
                "scored": len(scores[0]),
            }
            run.artifact = artifact
            run.message = f"Scored {len(scores[0]):,} contacts."
            run.finished_at = finish()
            run.save()
    except predictive.TrainingRefused as refused:
        run.status = ModelStatus.REFUSED
        run.message = refused.message[:500]
        run.report = {"sizes": refused.sizes, "windows": windows, "horizon_days": run.horizon_days}
        run.finished_at = finish()
        run.save(update_fields=["status", "message", "report", "finished_at"])
    except Exception as exc:
        logger.exception("Predictive model run %s failed", model_id)
        run.status = ModelStatus.FAILED
        run.message = f"Training failed: {exc}"[:500]
        run.finished_at = finish()
        run.save(update_fields=["status", "message", "finished_at"])
    return run


# ---- scoring ---------------------------------------------------------------------------------


def _score_everyone(
    bundle: predictive.ModelBundle, now: datetime
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Probabilities and tiers of every contact that is not a customer yet, as of `now`."""
    people = people_load()
    (features,) = engagement_at(people, [_epoch(now)])
    with np.errstate(invalid="ignore"):
        customer = (people.customer_at <= _epoch(now)) | people.customer_stage
    scored = np.flatnonzero(~customer)
    probabilities = np.zeros(len(scored))
    for start in range(0, len(scored), CHUNK):
        rows = scored[start : start + CHUNK]
        probabilities[start : start + len(rows)] = bundle.probabilities(
            people.take(rows), {name: values[rows] for name, values in features.items()}
        )
    return people.ids[scored], probabilities, predictive.tiers_by_quartile(probabilities)


def _write_scores(scores: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    ids, probabilities, tiers = scores
    for start in range(0, len(ids), CHUNK):
        Contact.objects.bulk_update(
            [
                Contact(pk=int(pk), predicted_probability=round(float(p), 4), predicted_tier=t)
                for pk, p, t in zip(
                    ids[start : start + CHUNK],
                    probabilities[start : start + CHUNK],
                    tiers[start : start + CHUNK],
                    strict=True,
                )
            ],
            ["predicted_probability", "predicted_tier"],
            batch_size=500,
        )
    # Customers are not scored: the question is who will become one.
    Contact.objects.exclude(pk__in=[int(pk) for pk in ids]).exclude(
        predicted_probability=None, predicted_tier=""
    ).update(predicted_probability=None, predicted_tier="")


# ---- reading models and explanations ---------------------------------------------------------

_bundles: dict[int, predictive.ModelBundle] = {}


def predictive_model_current() -> PredictiveModel | None:
    """The newest READY run: the one whose scores contacts carry."""
    return (
        PredictiveModel.objects.filter(status=ModelStatus.READY, artifact__isnull=False)
        .order_by("-requested_at", "-pk")
        .first()
    )


def _bundle(model: PredictiveModel) -> predictive.ModelBundle:
    if model.artifact is None:
        raise ValueError("This model run stored no artifact.")
    if model.pk not in _bundles:
        _bundles.clear()  # keep one model in memory: only the current one is ever asked for
        _bundles[model.pk] = predictive.bundle_load(bytes(model.artifact))
    return _bundles[model.pk]


@dataclass
class ContactPrediction:
    model: PredictiveModel | None
    probability: float | None = None  # as stored by the last scoring run
    tier: str = ""
    live_probability: float | None = None  # from today's features, explained by `factors`
    factors: list[dict[str, Any]] = field(default_factory=list)
    is_customer: bool = False
    error: str = ""

    @property
    def percent(self) -> str:
        """The probability shown: the stored one, or today's before the first scoring."""
        value = self.probability if self.probability is not None else self.live_probability
        if value is None:
            return ""
        return f"{value * 100:.1f}" if value < 0.1 else f"{value * 100:.0f}"


def contact_prediction(
    *, user: User, contact: Contact, now: datetime | None = None
) -> ContactPrediction:
    """The contact's probability, tier and main factors under the current model."""
    require(user.is_active)
    model = predictive_model_current()
    if model is None:
        return ContactPrediction(model=None)
    prediction = ContactPrediction(
        model=model,
        probability=contact.predicted_probability,
        tier=contact.predicted_tier,
        is_customer=contact.lifecycle_stage in CUSTOMER_STAGES,
    )
    if prediction.is_customer:
        return prediction
    now = now or timezone.now()
    people = people_load([contact.pk])
    (features,) = engagement_at(people, [_epoch(now)])
    try:
        probability, factors = predictive.explain(
            _bundle(model),
            {name: values[0] for name, values in people.categorical.items()},
            {name: float(values[0]) for name, values in features.items()},
            templates=TEMPLATES,
        )
    except Exception:
        # A model stored by an older version may not fit today's features: the contact page
        # must still render.
        logger.exception("Predictive model %s could not explain contact %s", model.pk, contact.pk)
        prediction.error = "This model cannot explain contacts any more; retrain it."
        return prediction
    prediction.live_probability = probability
    prediction.factors = [
        {
            "label": _readable(f),
            "effect": f.effect,
            "points": round(f.effect * 100, 1),
            "up": f.effect > 0,
        }
        for f in factors
    ]
    return prediction


def _readable(factor: predictive.Factor) -> str:
    if factor.field == "days_since_touch" and float(factor.value) >= NO_TOUCH_DAYS:
        return "No touch in the last year"
    return factor.label


@dataclass
class PredictiveReport:
    current: PredictiveModel | None
    latest: PredictiveModel | None
    in_progress: PredictiveModel | None
    runs: list[PredictiveModel]
    tiers: list[dict[str, Any]]
    horizon_days: int
    retrain_every_days: int | None


def predictive_report(*, user: User, runs: int = 20) -> PredictiveReport:
    require(can_manage_predictive(user), "Only admins and marketers see the model report.")
    _expire_stale_runs(timezone.now())
    settings = lead_settings_get()
    history = list(
        PredictiveModel.objects.select_related("requested_by")
        .defer("artifact")
        .order_by("-requested_at", "-pk")[:runs]
    )
    found = {
        row["predicted_tier"]: row
        for row in Contact.objects.exclude(predicted_tier="")
        .values("predicted_tier")
        .annotate(
            count=Count("pk"),
            mean=Avg("predicted_probability"),
            low=Min("predicted_probability"),
            high=Max("predicted_probability"),
        )
        .order_by()
    }
    empty = {"count": 0, "mean": None, "low": None, "high": None}
    tiers = [{**empty, **found.get(tier, {}), "tier": tier} for tier in predictive.TIERS]
    return PredictiveReport(
        current=PredictiveModel.objects.filter(status=ModelStatus.READY)
        .defer("artifact")
        .order_by("-requested_at", "-pk")
        .first(),
        latest=history[0] if history else None,
        in_progress=next((r for r in history if r.status in IN_PROGRESS), None),
        runs=history,
        tiers=tiers,
        horizon_days=settings.prediction_horizon_days,
        retrain_every_days=settings.retrain_every_days,
    )


def predictive_run_get(*, user: User, model_id: int) -> PredictiveModel:
    require(can_manage_predictive(user), "Only admins and marketers see the model report.")
    return PredictiveModel.objects.defer("artifact").get(pk=model_id)
