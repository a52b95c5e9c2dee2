"""GET /api/v1/experiments and GET /api/v1/experiments/{id}/results."""

import pytest
from django.urls import NoReverseMatch, reverse

from revline.analytics.stats import VariantInput, analyze_experiment
from tests.api.conftest import api_as  # noqa: F401 -- the fixture

from .factories import cta_spec, make_page, running_cta
from .test_selectors import _touches, expose


def _mounted() -> bool:
    try:
        reverse("api:list_experiments")
    except NoReverseMatch:
        return False
    return True


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not _mounted(), reason="the experiments router is not added in core/api.py yet"
    ),
]


def test_list_with_counts_filters_and_pagination(api_as, marketer, rep_a):  # noqa: F811
    from revline.experiments.services import experiment_create

    running = running_cta(marketer, make_page(), name="Hero button")
    expose(running, "a", 10, 2, _touches)
    expose(running, "b", 12, 5, _touches)
    experiment_create(actor=marketer, spec=cta_spec(make_page("b"), name="Footer button"))
    api = api_as(rep_a)

    body = api.get("/experiments", {"status": "running"}).json()

    assert body["total"] == 1
    (item,) = body["items"]
    assert (item["id"], item["name"], item["status"], item["users"], item["conversions"]) == (
        running.pk, "Hero button", "running", 22, 7,
    )  # fmt: skip
    everything = api.get("/experiments", {"sort": "name", "limit": 1}).json()
    assert (everything["total"], [i["name"] for i in everything["items"]]) == (
        2,
        ["Footer button"],
    )
    assert api.get("/experiments", {"status": "paused"}).status_code == 422


def test_results_match_the_statistics(api_as, marketer, rep_a):  # noqa: F811
    experiment = running_cta(marketer, make_page())
    expose(experiment, "a", 1000, 100, _touches)
    expose(experiment, "b", 1000, 130, _touches)

    response = api_as(rep_a).get(f"/experiments/{experiment.pk}/results")

    assert response.status_code == 200
    body = response.json()
    assert [
        (v["key"], v["users"], v["conversions"], v["conversion_rate"]) for v in body["variants"]
    ] == [
        ("a", 1000, 100, 0.1),
        ("b", 1000, 130, 0.13),
    ]
    expected = analyze_experiment(
        metric="proportion", method="frequentist", control="Control", weights=[1, 1],
        variants=[VariantInput("Control", 1000, 100), VariantInput("Variant B", 1000, 130)],
    ).comparisons[0]  # fmt: skip
    (comparison,) = body["comparisons"]
    assert comparison["variant"] == "b"
    assert comparison["p_value"] == pytest.approx(expected.p_value)
    assert comparison["relative_interval"]["lower"] == pytest.approx(
        expected.relative_interval.lower
    )
    assert 0.5 < comparison["chance_to_win"] < 1
    assert body["srm"]["mismatch"] is False
    assert body["cuped"] is None
    adjusted = api_as(rep_a).get(f"/experiments/{experiment.pk}/results", {"cuped": "true"})
    assert 0 < adjusted.json()["cuped"]["variance_reduction"] < 1


def test_results_of_an_unknown_experiment_are_404(api_as, rep_a):  # noqa: F811
    assert api_as(rep_a).get("/experiments/999999/results").status_code == 404


def test_a_token_is_required(client):
    assert client.get("/api/v1/experiments").status_code == 401
