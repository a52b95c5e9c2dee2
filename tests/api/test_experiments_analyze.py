"""POST /api/v1/experiments/analyze: summary statistics in, effects, intervals and SRM out."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from .conftest import ApiClient

PATH = "/experiments/analyze"
PROPORTIONS = {
    "metric": "proportion",
    "control": "A",
    "variants": [
        {"name": "A", "users": 1000, "conversions": 100},
        {"name": "B", "users": 1000, "conversions": 120},
    ],
}


def reasons(response) -> str:
    return " ".join(error["msg"] for error in response.json()["detail"])


@pytest.mark.django_db
def test_frequentist_proportions_match_welch_on_the_raw_data(api_as, marketer):
    # When
    response = api_as(marketer).post(PATH, {**PROPORTIONS, "method": "frequentist"})
    # Then
    assert response.status_code == 200
    body = response.json()
    reference = sps.ttest_ind(
        np.r_[np.ones(120), np.zeros(880)], np.r_[np.ones(100), np.zeros(900)], equal_var=False
    )
    ci = reference.confidence_interval(0.95)
    [comparison] = body["comparisons"]
    assert comparison["variant"] == "B"
    assert comparison["effect"] == pytest.approx(0.02)
    assert comparison["interval"] == pytest.approx({"lower": ci.low, "upper": ci.high})
    assert comparison["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert comparison["relative_lift"] == pytest.approx(0.2)
    se = math.sqrt((0.1056 / (1000 * 0.01) + 0.0144 * 0.09 / (1000 * 0.0001)) * 1000 / 999)
    assert comparison["relative_interval"]["lower"] == pytest.approx(0.2 - 1.959964 * se)
    assert comparison["significant"] is False
    assert comparison["chance_to_win"] is None
    assert comparison["expected_loss"] is None
    assert body["srm"] == {
        "chi_square": 0.0,
        "p_value": 1.0,
        "mismatch": False,
        "threshold": 0.001,
        "expected_users": [1000.0, 1000.0],
    }
    assert [v["mean"] for v in body["variants"]] == [0.1, 0.12]
    assert body["cuped"] is None
    assert body["warnings"] == []


@pytest.mark.django_db
def test_sequential_interval_is_wider_than_the_fixed_one(api_as, rep_a):
    client = api_as(rep_a)
    fixed = client.post(PATH, {**PROPORTIONS, "method": "frequentist"}).json()["comparisons"][0]
    # When
    response = client.post(PATH, {**PROPORTIONS, "method": "sequential"})
    # Then
    assert response.status_code == 200
    seq = response.json()["comparisons"][0]
    assert seq["effect"] == pytest.approx(0.02)
    assert seq["interval"]["lower"] < fixed["interval"]["lower"]
    assert seq["interval"]["upper"] > fixed["interval"]["upper"]
    assert seq["p_value"] == 1.0 or seq["p_value"] > fixed["p_value"]


@pytest.mark.django_db
def test_bayesian_mean_metric_returns_chance_to_win_and_risk(api_as, marketer):
    # Given means 10 and 10.5 with variances 2000/499 and (58300 - 5355^2/510)/509
    body = {
        "metric": "mean",
        "method": "bayesian",
        "control": "control",
        "variants": [
            {"name": "control", "users": 500, "sum": 5000.0, "sum_squares": 52000.0},
            {"name": "new price", "users": 510, "sum": 5355.0, "sum_squares": 58300.0},
        ],
        "prior": {"mean": 0.0, "sd": 1.0},
    }
    # When
    response = api_as(marketer).post(PATH, body)
    # Then the conjugate posterior, worked out here
    assert response.status_code == 200
    v = 2000 / 499 / 500 + (58300 - 5355**2 / 510) / 509 / 510
    post_var = 1 / (1 + 1 / v)
    mu = post_var * 0.5 / v
    sigma = math.sqrt(post_var)
    [comparison] = response.json()["comparisons"]
    assert comparison["effect"] == pytest.approx(mu, rel=1e-9)
    assert comparison["chance_to_win"] == pytest.approx(sps.norm.cdf(mu / sigma), rel=1e-9)
    risk = sigma * sps.norm.pdf(mu / sigma) - mu * sps.norm.cdf(-mu / sigma)
    assert comparison["expected_loss"] == pytest.approx(risk, rel=1e-6)
    assert comparison["p_value"] is None
    assert comparison["significant"] is None


@pytest.mark.django_db
def test_several_variants_are_each_compared_with_the_control(api_as, marketer):
    body = {
        "metric": "proportion",
        "control": "B",
        "variants": [
            {"name": "A", "users": 1000, "conversions": 90},
            {"name": "B", "users": 1000, "conversions": 100},
            {"name": "C", "users": 1000, "conversions": 130},
        ],
    }
    response = api_as(marketer).post(PATH, body)
    assert response.status_code == 200
    comparisons = response.json()["comparisons"]
    assert [c["variant"] for c in comparisons] == ["A", "C"]
    assert [c["effect"] for c in comparisons] == pytest.approx([-0.01, 0.03])


@pytest.mark.django_db
def test_a_sample_ratio_mismatch_is_flagged_and_warned(api_as, marketer):
    # Given a planned 50/50 split that came out 5000/4000
    body = {
        "metric": "proportion",
        "control": "A",
        "weights": [1, 1],
        "variants": [
            {"name": "A", "users": 5000, "conversions": 500},
            {"name": "B", "users": 4000, "conversions": 400},
        ],
    }
    response = api_as(marketer).post(PATH, body)
    assert response.status_code == 200
    srm = response.json()["srm"]
    assert srm["mismatch"] is True
    assert srm["p_value"] == pytest.approx(sps.chisquare([5000, 4000]).pvalue, rel=1e-9)
    assert response.json()["warnings"][0].startswith("Sample-ratio mismatch")


@pytest.mark.django_db
def test_cuped_shrinks_the_interval(api_as, marketer):
    # Given a covariate strongly correlated with the metric
    rng = np.random.default_rng(1)
    variants, covariates = [], []
    for name, shift in (("A", 0.0), ("B", 0.3)):
        x = rng.normal(10, 3, 800)
        y = x + shift + rng.normal(0, 1, 800)
        variants.append({"name": name, "users": 800, "sum": y.sum(), "sum_squares": (y**2).sum()})
        covariates.append(
            {"name": name, "sum_x": x.sum(), "sum_x2": (x**2).sum(), "sum_xy": (x * y).sum()}
        )
    body = {"metric": "mean", "control": "A", "variants": variants}
    client = api_as(marketer)
    plain = client.post(PATH, body).json()["comparisons"][0]["interval"]
    # When
    response = client.post(PATH, {**body, "cuped": {"covariates": covariates}})
    # Then
    assert response.status_code == 200
    adjusted = response.json()["comparisons"][0]["interval"]
    assert response.json()["cuped"]["variance_reduction"] > 0.85
    assert adjusted["upper"] - adjusted["lower"] < 0.4 * (plain["upper"] - plain["lower"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"variants": [{"name": "A", "users": 0, "conversions": 0}, {"name": "B", "users": 10, "conversions": 1}]}, "Variant 'A' has zero users."),
        ({"variants": [{"name": "A", "users": 100, "conversions": 0}, {"name": "B", "users": 100, "conversions": 0}]}, "Every variant has zero variance"),
        ({"variants": [{"name": "A", "users": 100, "conversions": 10}]}, "at least two variants"),
        ({"variants": [{"name": "A", "users": 10, "conversions": 11}, {"name": "B", "users": 10, "conversions": 1}]}, "more conversions (11) than users (10)"),
        ({"control": "Z"}, "The control 'Z' is not one of the variants."),
        ({"weights": [1, 1, 1]}, "3 weights for 2 variants"),
        ({"variants": [{"name": "A", "users": 10, "conversions": 1}, {"name": "A", "users": 10, "conversions": 2}]}, "names must be unique"),
        ({"variants": [{"name": "A", "users": 10}, {"name": "B", "users": 10, "conversions": 2}]}, "Variant 'A' needs 'conversions'."),
        ({"metric": "mean", "variants": [{"name": "A", "users": 4, "sum": 10, "sum_squares": 20}, {"name": "B", "users": 4, "sum": 10, "sum_squares": 30}]}, "no data can produce"),
        ({"metric": "mean", "variants": [{"name": "A", "users": 4, "sum": 8, "sum_squares": 16}, {"name": "B", "users": 4, "sum": 12, "sum_squares": 36}]}, "Every variant has zero variance"),
        ({"cuped": {"covariates": [{"name": "A", "sum_x": 1, "sum_x2": 1, "sum_xy": 1}, {"name": "C", "sum_x": 1, "sum_x2": 1, "sum_xy": 1}]}}, "CUPED sums for unknown variants: C."),
    ],
)  # fmt: skip
def test_input_that_cannot_be_analysed_is_a_422_with_the_reason(api_as, marketer, change, reason):
    response = api_as(marketer).post(PATH, {**PROPORTIONS, **change})
    assert response.status_code == 422
    assert reason in reasons(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"variants": [{"name": "A", "users": -1, "conversions": 0}, {"name": "B", "users": 10, "conversions": 1}]}, "users"),
        ({"variants": [{"name": "A", "users": 10, "conversions": -1}, {"name": "B", "users": 10, "conversions": 1}]}, "conversions"),
        ({"metric": "mean", "variants": [{"name": "A", "users": 10, "sum": 1, "sum_squares": -1}, {"name": "B", "users": 10, "sum": 1, "sum_squares": 1}]}, "sum_squares"),
        ({"alpha": 1.5}, "alpha"),
        ({"method": "magic"}, "method"),
        ({"weights": [1, 0]}, 1),
        ({"prior": {"sd": 0}}, "sd"),
        ({"unknown": 1}, "unknown"),
    ],
)  # fmt: skip
def test_out_of_range_fields_are_a_422_naming_the_field(api_as, marketer, change, field):
    response = api_as(marketer).post(PATH, {**PROPORTIONS, **change})
    assert response.status_code == 422
    assert str(field) in [str(e["loc"][-1]) for e in response.json()["detail"]]


@pytest.mark.django_db
def test_not_a_number_is_refused(api_as, marketer):
    body = (
        '{"metric": "mean", "control": "A", "variants": ['
        '{"name": "A", "users": 10, "sum": NaN, "sum_squares": 1},'
        '{"name": "B", "users": 10, "sum": 1, "sum_squares": 1}]}'
    )
    response = api_as(marketer).post(PATH, body)
    assert response.status_code == 422


@pytest.mark.django_db
def test_a_token_is_required():
    response = ApiClient(None).post(PATH, PROPORTIONS)
    assert response.status_code == 401


@pytest.mark.django_db
def test_every_openapi_example_is_answered(api_as, marketer, client):
    # Given the examples published in the schema
    schema = client.get("/api/v1/openapi.json").json()
    examples = schema["components"]["schemas"]["AnalyzeIn"]["examples"]
    assert len(examples) == 3
    api = api_as(marketer)
    # Then each one is a valid request
    for example in examples:
        assert api.post(PATH, example).status_code == 200, example
