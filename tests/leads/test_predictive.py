"""The pure predictive model: training on a synthetic history with known drivers, refusals,
evaluation tables, tiers and explanations."""

import numpy as np
import pytest

from revline.leads import predictive as p

TEMPLATES = {
    "pricing_views": ("Never viewed /pricing", "Viewed /pricing once", "Viewed /pricing {n} times"),
    "page_views": ("No page views", "1 page view", "{n} page views"),
    "email_opens": ("No email opens", "1 email open", "{n} email opens"),
}
INDUSTRIES = ["Software", "Retail", "Finance", "Health", "Logistics"]
SENIORITIES = ["vp", "manager", "other", "director", ""]


def synthetic(n: int = 2000, seed: int = 7):
    """Contacts whose conversion is driven by pricing views and a VP title only; industry,
    page views and email opens are noise."""
    rng = np.random.default_rng(seed)
    seniority = rng.choice(SENIORITIES, size=n, p=[0.2, 0.3, 0.3, 0.1, 0.1])
    industry = rng.choice(INDUSTRIES, size=n)
    pricing = rng.poisson(0.8, size=n).astype(float)
    pages = rng.poisson(6, size=n).astype(float)
    opens = rng.poisson(3, size=n).astype(float)
    logit = -3.6 + 1.1 * pricing + 2.0 * (seniority == "vp")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    categorical = {"seniority": list(seniority), "industry": list(industry)}
    numeric = {"pricing_views": pricing, "page_views": pages, "email_opens": opens}
    return categorical, numeric, y


def fit(categorical, numeric, y):
    encoder = p.encoder_fit(categorical, list(numeric))
    X = encoder.transform(categorical, numeric)
    result = p.train_and_select(X, y, random_state=0)
    bundle = p.ModelBundle(
        model=result.model,
        encoder=encoder,
        baseline=p.baseline_fit(categorical, numeric),
        algorithm=result.algorithm,
    )
    return result, bundle


@pytest.fixture(scope="module")
def trained():
    categorical, numeric, y = synthetic()
    return fit(categorical, numeric, y)


def test_the_chosen_model_ranks_the_true_converters_first_on_held_out_data(trained):
    # Given 2,000 synthetic contacts where pricing views and a VP title drive conversion
    result, _ = trained
    # Then the held-out AUC of the chosen model, and of both candidates, is at least 0.75
    aucs = {c["algorithm"]: c["auc"] for c in result.report["candidates"]}
    assert set(aucs) == {p.LOGISTIC, p.BOOSTED}
    assert result.auc >= 0.75
    assert min(aucs.values()) >= 0.75
    assert result.report["chosen"] == result.algorithm
    assert result.auc == pytest.approx(max(aucs.values()), abs=p.AUC_TIE + 1e-4)
    sizes = result.report["sizes"]
    assert sizes["examples"] == 2000
    assert sizes["train"] + sizes["test"] == 2000
    assert sizes["test"] == 500
    # and the history is big enough for no warning
    assert result.report["warnings"] == []


def test_top_decile_lifts_well_above_the_bottom_and_deciles_cover_the_test_set(trained):
    result, _ = trained
    lift = result.report["lift"]
    assert [row["decile"] for row in lift] == list(range(1, 11))
    assert sum(row["count"] for row in lift) == 500
    assert sum(row["positives"] for row in lift) == result.report["sizes"]["test_positives"]
    assert lift[-1]["captured"] == 1.0
    assert lift[0]["lift"] > 2.0
    assert lift[0]["rate"] > lift[-1]["rate"]


def test_calibration_bins_track_the_observed_rate(trained):
    result, _ = trained
    bins = result.report["calibration"]
    assert len(bins) == 10
    assert sum(b["count"] for b in bins) == 500
    predicted = [b["predicted"] for b in bins]
    assert predicted == sorted(predicted)
    # Calibrated: the mean prediction of the whole test set is close to its observed rate.
    overall_predicted = sum(b["predicted"] * b["count"] for b in bins) / 500
    overall_observed = sum(b["observed"] * b["count"] for b in bins) / 500
    assert overall_predicted == pytest.approx(overall_observed, abs=0.04)


def test_explanation_names_the_true_drivers_first(trained):
    # Given a VP who viewed pricing 4 times, with average noise fields
    _, bundle = trained
    probability, factors = p.explain(
        bundle,
        {"seniority": "vp", "industry": "Retail"},
        {"pricing_views": 4, "page_views": 6, "email_opens": 3},
        templates=TEMPLATES,
    )
    # Then the two true drivers come first, both raising the score, with readable names
    assert probability > 0.5
    assert [f.label for f in factors[:2]] == ["Viewed /pricing 4 times", "Title: VP"]
    assert all(f.effect > 0 for f in factors[:2])
    assert len(factors) <= 5
    assert all(abs(f.effect) < abs(factors[1].effect) for f in factors[2:])


def test_explanation_of_an_unlikely_contact_shows_what_holds_it_back(trained):
    _, bundle = trained
    probability, factors = p.explain(
        bundle,
        {"seniority": "other", "industry": "Retail"},
        {"pricing_views": 0, "page_views": 6, "email_opens": 3},
        templates=TEMPLATES,
    )
    assert probability < 0.1
    assert factors[0].label == "Never viewed /pricing"
    assert factors[0].effect < 0


def test_a_stored_bundle_scores_the_same_after_a_round_trip(trained):
    _, bundle = trained
    categorical = {"seniority": ["vp", "other"], "industry": ["Retail", "Unheard of"]}
    numeric = {
        "pricing_views": np.array([2.0, 0.0]),
        "page_views": np.array([1.0, 9.0]),
        "email_opens": np.array([0.0, 2.0]),
    }
    loaded = p.bundle_load(p.bundle_dump(bundle))
    assert loaded.probabilities(categorical, numeric).tolist() == pytest.approx(
        bundle.probabilities(categorical, numeric).tolist()
    )


def test_a_small_history_trains_with_warnings():
    categorical, numeric, y = synthetic(n=150, seed=3)
    result, _ = fit(categorical, numeric, y)
    warnings = result.report["warnings"]
    assert warnings[0] == (
        "The history is small (150 examples, fewer than 200): treat the scores as a rough guide."
    )
    assert any(w.startswith(f"Only {int(y.sum())} conversions to learn from") for w in warnings)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (
            [0] * 40,
            "All 40 contacts in the history did not become customers within the horizon: with "
            "one outcome only there is nothing to tell apart.",
        ),
        (
            [1] * 40,
            "All 40 contacts in the history became customers within the horizon: with one "
            "outcome only there is nothing to tell apart.",
        ),
        ([0, 1] * 9, "Only 18 contact snapshots to learn from; at least 20 are needed."),
        (
            [1] * 4 + [0] * 60,
            "Only 4 contacts became a customer within the horizon; at least 5 are needed.",
        ),
    ],
)
def test_a_history_that_cannot_support_a_model_is_refused(labels, message):
    y = np.array(labels)
    X = np.arange(len(y), dtype=float).reshape(-1, 1)
    with pytest.raises(p.TrainingRefused) as refused:
        p.train_and_select(X, y)
    assert refused.value.message == message
    assert refused.value.sizes["examples"] == len(labels)


def test_tiers_are_exact_quartiles_with_a_to_the_top():
    probabilities = [0.05, 0.9, 0.3, 0.6, 0.1, 0.8, 0.2, 0.7]
    assert p.tiers_by_quartile(probabilities) == ["D", "A", "C", "B", "D", "A", "C", "B"]
    many = np.linspace(0, 1, 1000)
    tiers = p.tiers_by_quartile(many)
    assert [tiers.count(t) for t in "ABCD"] == [250, 250, 250, 250]
    assert tiers[-1] == "A" and tiers[0] == "D"


def test_equal_probabilities_share_the_tier_of_their_middle_rank():
    # ranks 0-2 tie (middle rank 1 of 4: B); rank 3 is D
    assert p.tiers_by_quartile([0.5, 0.5, 0.5, 0.1]) == ["B", "B", "B", "D"]
    # 2 distinct leaders, then 6 tied (middle rank 4.5 of 8: C)
    assert p.tiers_by_quartile([0.9, 0.8] + [0.1] * 6) == ["A", "A"] + ["C"] * 6
    assert p.tiers_by_quartile([]) == []


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("VP Marketing", "vp"),
        ("Vice President, Sales", "vp"),
        ("Head of Growth", "head"),
        ("Marketing Director", "director"),
        ("Chief Revenue Officer", "c_level"),
        ("CEO", "c_level"),
        ("Product Manager", "manager"),
        ("Account Executive", "other"),
        ("  ", ""),
    ],
)
def test_title_seniority_keywords(title, level):
    assert p.title_seniority(title) == level


def test_rare_categories_share_the_other_column():
    categorical = {"industry": ["A"] * 5 + ["B"] * 3 + ["C"]}
    encoder = p.encoder_fit(categorical, [], max_categories=12, min_count=3)
    assert encoder.categories == {"industry": ["A", "B", p.OTHER]}
    X = encoder.transform({"industry": ["C", "A", "Z"]}, {})
    assert X.tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 1]]


def test_lift_and_calibration_arithmetic():
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    lift = p.lift_by_decile(y, scores, groups=5)
    assert [r["positives"] for r in lift] == [2, 0, 1, 0, 0]
    assert [r["lift"] for r in lift] == [3.33, 0.0, 1.67, 0.0, 0.0]
    assert [r["captured"] for r in lift] == [0.6667, 0.6667, 1.0, 1.0, 1.0]
    bins = p.calibration_bins(y, scores, bins=2)
    assert bins == [
        {"count": 5, "predicted": 0.2, "observed": 0.0, "low": 0.0, "high": 0.4},
        {"count": 5, "predicted": 0.7, "observed": 0.6, "low": 0.5, "high": 0.9},
    ]
