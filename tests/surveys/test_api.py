"""The surveys API router (mounted at /api/v1/ by core.api): list and results."""

from datetime import UTC, datetime

from ninja.testing import TestClient

from revline.surveys import services
from revline.surveys.api import router

from .conftest import make_contact, make_nps_survey, post_data


def test_list_and_results(db, marketer):
    survey = make_nps_survey(marketer)
    for n, score in enumerate([10, 6, 8]):
        data = post_data(survey, How=str(score))
        services.response_submit(
            survey=survey, version=survey.live_version, get_list=lambda k, d=data: d.get(k, []),
            invite=services.invite_for(survey=survey, contact=make_contact(n)),
            now=datetime(2025, 3, 5, tzinfo=UTC),
        )  # fmt: skip
    client = TestClient(router)

    listed = client.get("/surveys?status=open", auth=marketer).json()
    assert [s["slug"] for s in listed["items"]] == ["nps"]

    results = client.get(f"/surveys/{survey.pk}/results?period=month", auth=marketer).json()
    assert results["responses"] == 3
    assert results["nps"] == {
        "responses": 3, "promoters": 1, "passives": 1, "detractors": 1, "score": 0.0,
    }  # fmt: skip
    assert results["csat"] is None
    assert [t["period"] for t in results["trend"]] == ["2025-03-01"]
    assert client.get("/surveys/999/results", auth=marketer).status_code == 404
