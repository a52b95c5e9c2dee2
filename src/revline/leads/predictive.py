"""Predictive lead scoring, the pure part: features in, a chosen model, its report and
explanations out. No ORM here (predictive_services.py reads the database).

Raw examples are given per field: categorical fields as lists of strings (one-hot encoded with
a cap on categories) and numeric fields as float arrays (log1p-transformed: they are counts and
day spans, heavy-tailed). Two candidates are fitted on a stratified training split and compared
by AUC on the held-out rest; the winner is refitted on every example and stored.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

OTHER = "__other__"
LOGISTIC = "logistic_regression"
BOOSTED = "gradient_boosting"
ALGORITHM_LABELS = {
    LOGISTIC: "Logistic regression",
    BOOSTED: "Gradient boosting (calibrated)",
}
# Below these the model is refused (no model at all) ...
MIN_EXAMPLES = 20
MIN_POSITIVES = 5
MIN_NEGATIVES = 5
# ... and below these it is trained, with a warning that it is not to be trusted yet.
TRUSTED_EXAMPLES = 200
TRUSTED_POSITIVES = 30
TEST_SHARE = 0.25
# Logistic regression wins ties: it is simpler and its factors are steadier.
AUC_TIE = 0.005
TIERS = "ABCD"

SENIORITY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # Before C-level: "Vice President" also contains "president".
    ("vp", re.compile(r"\b(vp|svp|evp|vice[- ]president)\b")),
    (
        "c_level",
        re.compile(
            r"\b(chief|ceo|cfo|cto|cmo|coo|cro|cio|ciso|cpo|founder|co-founder|owner|president)\b"
        ),
    ),
    ("head", re.compile(r"\bhead\b")),
    ("director", re.compile(r"\bdirector\b")),
    ("manager", re.compile(r"\b(manager|lead|team lead)\b")),
]
SENIORITY_LABELS = {
    "c_level": "C-level",
    "vp": "VP",
    "head": "Head of",
    "director": "Director",
    "manager": "Manager",
    "other": "other role",
    "": "not given",
}


class TrainingRefused(Exception):
    """The history cannot support a model; the message says why, in the user's words."""

    def __init__(self, message: str, sizes: dict[str, int]) -> None:
        super().__init__(message)
        self.message = message
        self.sizes = sizes


def title_seniority(title: str) -> str:
    """The seniority a job title names: c_level, vp, head, director, manager, other or ''."""
    text = title.strip().lower()
    if not text:
        return ""
    for level, pattern in SENIORITY_PATTERNS:
        if pattern.search(text):
            return level
    return "other"


# ---- encoding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureEncoder:
    """One-hot columns for the kept categories of each field (plus one for every other value),
    then one log1p column per numeric field."""

    categories: dict[str, list[str]]
    numeric: list[str]

    def names(self) -> list[str]:
        names = [f"{f}={v}" for f, values in self.categories.items() for v in values]
        return names + list(self.numeric)

    def fields(self) -> list[str]:
        return list(self.categories) + list(self.numeric)

    def transform(
        self, categorical: Mapping[str, Sequence[str]], numeric: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        n = _rows(categorical, numeric)
        columns: list[np.ndarray] = []
        for name, kept in self.categories.items():
            index = {v: i for i, v in enumerate(kept)}
            other = index[OTHER]
            block = np.zeros((n, len(kept)))
            block[np.arange(n), [index.get(v, other) for v in categorical[name]]] = 1.0
            columns.append(block)
        for name in self.numeric:
            array = np.asarray(numeric[name], dtype=float)
            columns.append(np.log1p(np.maximum(array, 0.0)).reshape(n, 1))
        return np.hstack(columns) if columns else np.zeros((n, 0))


def _rows(categorical: Mapping[str, Sequence[str]], numeric: Mapping[str, np.ndarray]) -> int:
    for values in categorical.values():
        return len(values)
    for array in numeric.values():
        return len(array)
    return 0


def encoder_fit(
    categorical: Mapping[str, Sequence[str]],
    numeric_names: Sequence[str],
    *,
    max_categories: int = 12,
    min_count: int = 3,
) -> FeatureEncoder:
    """Keep, per field, the `max_categories` most frequent values seen at least `min_count`
    times; rarer values share the field's "other" column, so a long tail cannot blow up the
    model or identify single contacts."""
    categories: dict[str, list[str]] = {}
    for name, values in categorical.items():
        counts = Counter(values)
        kept = [
            v
            for v, c in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            if c >= min_count and v != OTHER
        ][:max_categories]
        categories[name] = [*kept, OTHER]
    return FeatureEncoder(categories=categories, numeric=list(numeric_names))


def baseline_fit(
    categorical: Mapping[str, Sequence[str]], numeric: Mapping[str, np.ndarray]
) -> dict[str, Any]:
    """The "typical contact" an explanation compares with: the most frequent value of each
    categorical field and the mean of each numeric one."""
    baseline: dict[str, Any] = {}
    for name, values in categorical.items():
        counts = Counter(values)
        baseline[name] = (
            sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0] if counts else ""
        )
    for name, array in numeric.items():
        baseline[name] = float(np.mean(array)) if len(array) else 0.0
    return baseline


# ---- candidates and training -----------------------------------------------------------------


def candidates(random_state: int = 0) -> dict[str, Any]:
    """The two models compared. Logistic regression is fitted by maximum likelihood without
    class weights, so its probabilities are calibrated as they are; the boosted trees are not,
    and get Platt (sigmoid) calibration on 3 internal folds (isotonic needs more positives than
    a small workspace has)."""
    logistic = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
    boosted = CalibratedClassifierCV(
        HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=150,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            random_state=random_state,
        ),
        method="sigmoid",
        cv=3,
    )
    return {LOGISTIC: logistic, BOOSTED: boosted}


def history_check(y: np.ndarray) -> list[str]:
    """Raises TrainingRefused when the labels cannot support a model; returns warnings when
    they can but the result is not to be trusted yet."""
    n = len(y)
    positives = int(np.sum(y))
    negatives = n - positives
    sizes = {"examples": n, "positives": positives, "negatives": negatives}
    if n < MIN_EXAMPLES:
        raise TrainingRefused(
            f"Only {n} contact snapshot{'s' if n != 1 else ''} to learn from; at least "
            f"{MIN_EXAMPLES} are needed.",
            sizes,
        )
    if positives == 0 or negatives == 0:
        outcome = "became customers" if negatives == 0 else "did not become customers"
        raise TrainingRefused(
            f"All {n} contacts in the history {outcome} within the horizon: with one outcome "
            "only there is nothing to tell apart.",
            sizes,
        )
    if positives < MIN_POSITIVES:
        raise TrainingRefused(
            f"Only {positives} contact{'s' if positives != 1 else ''} became a customer within "
            f"the horizon; at least {MIN_POSITIVES} are needed.",
            sizes,
        )
    if negatives < MIN_NEGATIVES:
        raise TrainingRefused(
            f"Only {negatives} contact{'s' if negatives != 1 else ''} did not become a customer "
            f"within the horizon; at least {MIN_NEGATIVES} are needed.",
            sizes,
        )
    warnings = []
    if n < TRUSTED_EXAMPLES:
        warnings.append(
            f"The history is small ({n} examples, fewer than {TRUSTED_EXAMPLES}): treat the "
            "scores as a rough guide."
        )
    if positives < TRUSTED_POSITIVES:
        warnings.append(
            f"Only {positives} conversions to learn from (fewer than {TRUSTED_POSITIVES}): the "
            "model and its report can change a lot with the next few customers."
        )
    return warnings


def held_out_split(
    y: np.ndarray, groups: np.ndarray | None, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/test indices (about 75/25). With `groups` (the contact of each
    snapshot) all snapshots of one contact fall on the same side, so the test set never holds
    a contact the model was trained on."""
    indices = np.arange(len(y))
    if groups is not None and len(np.unique(groups)) >= 8:
        folds = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=random_state)
        for train, test in folds.split(indices, y, groups):
            positives = int(np.sum(y[train]))
            if len(np.unique(y[test])) == 2 and 3 <= positives <= len(train) - 3:
                return train, test
    train, test = train_test_split(
        indices, test_size=TEST_SHARE, stratify=y, random_state=random_state
    )
    return np.sort(train), np.sort(test)


@dataclass
class TrainingResult:
    algorithm: str
    model: Any
    auc: float
    report: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def train_and_select(
    X: np.ndarray,
    y: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    random_state: int = 0,
) -> TrainingResult:
    """Fit both candidates on the training split, keep the better by held-out AUC, report it
    (AUCs, lift by decile, calibration bins, sizes, warnings) and refit it on every example.

    Raises TrainingRefused when the history is too thin (history_check)."""
    y = np.asarray(y, dtype=int)
    warnings = history_check(y)
    # One thread: on a busy machine the boosted trees' OpenMP threads fight each other (ten
    # times slower measured on 2 shared cores), and a web or worker process should not fan out.
    with threadpool_limits(limits=1):
        return _train_and_select(X, y, warnings, groups, random_state)


def _train_and_select(
    X: np.ndarray,
    y: np.ndarray,
    warnings: list[str],
    groups: np.ndarray | None,
    random_state: int,
) -> TrainingResult:
    train, test = held_out_split(y, groups, random_state)
    aucs: dict[str, float] = {}
    held_out: dict[str, np.ndarray] = {}
    for name, model in candidates(random_state).items():
        model.fit(X[train], y[train])
        probabilities = model.predict_proba(X[test])[:, 1]
        held_out[name] = probabilities
        aucs[name] = float(roc_auc_score(y[test], probabilities))
    chosen = LOGISTIC if aucs[LOGISTIC] >= aucs[BOOSTED] - AUC_TIE else BOOSTED
    y_test, p_test = y[test], held_out[chosen]
    auc = aucs[chosen]
    positives_test = int(np.sum(y_test))
    if positives_test < 10:
        warnings.append(
            f"The held-out set has only {positives_test} conversion"
            f"{'s' if positives_test != 1 else ''}: its AUC and charts are rough estimates."
        )
    if auc < 0.6:
        warnings.append(
            f"The model ranks contacts barely better than chance (AUC {auc:.2f}): the fields "
            "and touches recorded so far say little about who buys."
        )
    final = candidates(random_state)[chosen]
    final.fit(X, y)
    report = {
        "chosen": chosen,
        "candidates": [
            {"algorithm": name, "label": ALGORITHM_LABELS[name], "auc": round(value, 4)}
            for name, value in aucs.items()
        ],
        "sizes": {
            "examples": len(y),
            "positives": int(np.sum(y)),
            "train": len(train),
            "train_positives": int(np.sum(y[train])),
            "test": len(test),
            "test_positives": positives_test,
            "features": int(X.shape[1]),
        },
        "base_rate": round(float(np.mean(y)), 4),
        "brier": round(float(brier_score_loss(y_test, p_test)), 4),
        "lift": lift_by_decile(y_test, p_test),
        "calibration": calibration_bins(y_test, p_test),
        "warnings": warnings,
    }
    return TrainingResult(algorithm=chosen, model=final, auc=auc, report=report, warnings=warnings)


# ---- evaluation ------------------------------------------------------------------------------


def lift_by_decile(y_true: np.ndarray, scores: np.ndarray, groups: int = 10) -> list[dict]:
    """Held-out contacts ranked by score and cut into `groups` near-equal slices (decile 1 =
    the highest scores): size, conversions, conversion rate, lift over the overall rate, and
    the share of all conversions captured down to that slice."""
    y_true = np.asarray(y_true, dtype=int)
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    total = int(np.sum(y_true))
    base = total / len(y_true) if len(y_true) else 0.0
    rows = []
    captured = 0
    for number, part in enumerate(np.array_split(order, min(groups, len(order))), start=1):
        positives = int(np.sum(y_true[part]))
        captured += positives
        rate = positives / len(part) if len(part) else 0.0
        rows.append(
            {
                "decile": number,
                "count": len(part),
                "positives": positives,
                "rate": round(rate, 4),
                "lift": round(rate / base, 2) if base else 0.0,
                "captured": round(captured / total, 4) if total else 0.0,
            }
        )
    return rows


def calibration_bins(y_true: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> list[dict]:
    """Held-out contacts cut into up to `bins` equal-count groups by predicted probability
    (equal counts rather than equal widths: with a low base rate nearly all predictions sit
    near zero): mean predicted probability against the observed conversion rate."""
    y_true = np.asarray(y_true, dtype=int)
    probabilities = np.asarray(probabilities, dtype=float)
    order = np.argsort(probabilities, kind="stable")
    count = max(1, min(bins, len(order) // 5 or 1))
    rows = []
    for part in np.array_split(order, count):
        if not len(part):
            continue
        rows.append(
            {
                "count": len(part),
                "predicted": round(float(np.mean(probabilities[part])), 4),
                "observed": round(float(np.mean(y_true[part])), 4),
                "low": round(float(np.min(probabilities[part])), 4),
                "high": round(float(np.max(probabilities[part])), 4),
            }
        )
    return rows


def tiers_by_quartile(probabilities: Sequence[float] | np.ndarray) -> list[str]:
    """Tier A (top quarter) to D (bottom quarter) by rank in the scored population; without
    ties each tier holds exactly a quarter (±1). Equal probabilities share one tier, the one
    of their middle rank, so identical contacts never differ and a large tied group (say, all
    contacts with no touches) lands where most of it belongs."""
    values = np.asarray(probabilities, dtype=float)
    n = len(values)
    if n == 0:
        return []
    order = np.argsort(-values, kind="stable")
    tiers = [""] * n
    first = 0
    while first < n:
        last = first
        while last + 1 < n and values[order[last + 1]] == values[order[first]]:
            last += 1
        tier = TIERS[int((first + last) / 2 * 4 // n)]
        for index in order[first : last + 1]:
            tiers[index] = tier
        first = last + 1
    return tiers


# ---- the stored model and its explanations ---------------------------------------------------


@dataclass
class ModelBundle:
    """Everything needed to score and explain: what the artifact holds."""

    model: Any
    encoder: FeatureEncoder
    baseline: dict[str, Any]
    algorithm: str

    def probabilities(
        self, categorical: Mapping[str, Sequence[str]], numeric: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        X = self.encoder.transform(categorical, numeric)
        with threadpool_limits(limits=1):
            return np.asarray(self.model.predict_proba(X)[:, 1], dtype=float)


def bundle_dump(bundle: ModelBundle) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(bundle, buffer, compress=3)
    return buffer.getvalue()


def bundle_load(data: bytes) -> ModelBundle:
    # Only artifacts this app wrote are ever loaded (PredictiveModel.artifact is not editable).
    bundle = joblib.load(io.BytesIO(data))
    if not isinstance(bundle, ModelBundle):
        raise ValueError("The stored artifact is not a predictive model.")
    return bundle


@dataclass(frozen=True)
class Factor:
    field: str
    value: Any
    effect: float  # change in probability this field's value causes against the typical value
    label: str


FIELD_LABELS = {
    "seniority": "Title",
    "industry": "Industry",
    "size": "Company size",
    "country": "Country",
    "source": "Source",
}


def factor_label(name: str, value: Any, templates: Mapping[str, Sequence[str]]) -> str:
    """A readable phrase for a field's value: "Title: VP", "Viewed /pricing 4 times".

    `templates` maps a numeric field to (none, one, many) phrases with `{n}` for the value."""
    if name in FIELD_LABELS:
        text = str(value)
        if name == "seniority":
            text = SENIORITY_LABELS.get(text, text)
        elif text == OTHER:
            text = "other"
        elif not text:
            text = "not given"
        return f"{FIELD_LABELS[name]}: {text}"
    phrases = templates.get(name)
    n = round(float(value))
    if not phrases:
        return f"{name}: {n}"
    none, one, many = phrases
    return (none if n == 0 else one if n == 1 else many).format(n=n)


def explain(
    bundle: ModelBundle,
    categorical: Mapping[str, str],
    numeric: Mapping[str, float],
    *,
    templates: Mapping[str, Sequence[str]],
    top: int = 5,
    min_effect: float = 0.0005,
) -> tuple[float, list[Factor]]:
    """The contact's probability and its main factors: for each field, how much the probability
    changes when that field alone is replaced by the typical value (most frequent category or
    mean). The `top` largest by absolute effect, signed (+ raises the score)."""
    fields = bundle.encoder.fields()
    rows_categorical: dict[str, list[str]] = {
        name: [categorical[name]] * (len(fields) + 1) for name in bundle.encoder.categories
    }
    rows_numeric: dict[str, np.ndarray] = {
        name: np.full(len(fields) + 1, float(numeric[name])) for name in bundle.encoder.numeric
    }
    for row, name in enumerate(fields, start=1):
        if name in rows_categorical:
            rows_categorical[name][row] = bundle.baseline[name]
        else:
            rows_numeric[name][row] = bundle.baseline[name]
    probabilities = bundle.probabilities(rows_categorical, rows_numeric)
    own = float(probabilities[0])
    factors = []
    for row, name in enumerate(fields, start=1):
        effect = own - float(probabilities[row])
        if abs(effect) < min_effect:
            continue
        value = categorical[name] if name in rows_categorical else numeric[name]
        factors.append(
            Factor(
                field=name,
                value=value,
                effect=effect,
                label=factor_label(name, value, templates),
            )
        )
    factors.sort(key=lambda f: (-abs(f.effect), f.field))
    return own, factors[:top]
