"""The competitors API: list and read with the battlecard, and the win/loss report.

Run against the router itself (ninja's TestClient), so they pass before and after the router
is added to core/api.py; there a ValidationError becomes a 422 answer.
"""

import pytest
from django.core.exceptions import ValidationError
from ninja.testing import TestClient

from revline.competitors.api import router
from revline.competitors.services import competitor_create, deal_competitor_add
from revline.sales.services import deal_close_lost, deal_close_won

from .conftest import make_deal, reason


@pytest.fixture
def api() -> TestClient:
    return TestClient(router)


@pytest.fixture
def rival(pipeline, rep_a, rep_b):
    rival = competitor_create(
        actor=None, name="Rivalsoft", how_to_win="Show the loop", landmines="Ask about quotes"
    )
    won = make_deal(rep_a, amount="1000")
    deal_competitor_add(actor=None, deal=won, competitor=rival)
    deal_close_won(actor=None, deal=won, reason=reason("won", "Relationship"))
    lost = make_deal(rep_b, amount="3000")
    deal_close_lost(actor=None, deal=lost, reason=reason("lost", "Price"), lost_to=rival)
    return rival


def test_list_and_read_with_the_battlecard(api, admin_user, rival):
    competitor_create(actor=None, name="Othercorp")
    listed = api.get("/competitors?q=rival", auth=admin_user).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["name"], item["how_to_win"], item["landmines"]) == (
        "Rivalsoft",
        "Show the loop",
        "Ask about quotes",
    )
    assert (item["deals_involved"], item["won"], item["lost"], item["win_rate"]) == (2, 1, 1, 50.0)
    read = api.get(f"/competitors/{rival.pk}", auth=admin_user)
    assert read.status_code == 200
    assert read.json()["id"] == rival.pk


def test_a_reps_numbers_count_only_their_teams_deals(api, rep_a, rival):
    item = api.get(f"/competitors/{rival.pk}", auth=rep_a).json()
    assert (item["deals_involved"], item["won"], item["lost"], item["win_rate"]) == (1, 1, 0, 100.0)


def test_an_unknown_competitor_is_a_404(api, admin_user, rival):
    assert api.get("/competitors/999999", auth=admin_user).status_code == 404


def test_the_report(api, admin_user, rival):
    body = api.get("/competitors/report", auth=admin_user).json()
    assert body["currency"] == "EUR"
    (row,) = body["rows"]
    assert (row["name"], row["won"], row["lost"], row["win_rate"], row["lost_to"]) == (
        "Rivalsoft", 1, 1, 50.0, 1,
    )  # fmt: skip
    assert (row["average_won"], row["average_lost"]) == ("1000.00", "3000.00")
    assert row["reasons"] == [{"label": "Price", "count": 1}]
    assert body["overall"]["involved"] == 2


def test_report_filters_are_checked(api, admin_user, rival):
    with pytest.raises(ValidationError) as refused:
        api.get("/competitors/report?pipeline_id=999999", auth=admin_user)
    assert "pipeline_id" in refused.value.message_dict
    with pytest.raises(ValidationError):
        api.get("/competitors/report?closed_from=2025-03-10&closed_to=2025-03-01", auth=admin_user)
    assert api.get("/competitors/report?closed_from=yesterday", auth=admin_user).status_code == 422
