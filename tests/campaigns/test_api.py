"""The campaign API's additions: metrics on GET /campaigns/{id}, and /campaigns/{id}/spend."""

from datetime import date
from decimal import Decimal

import pytest

from revline.campaigns.models import AdSpend, Campaign, Channel, Creative, CtaAction
from revline.core.services import api_token_issue

from ..api.conftest import ApiClient


@pytest.fixture
def api_as():
    def make(user) -> ApiClient:
        return ApiClient(api_token_issue(user=user, name="tests").raw)

    return make


def test_campaign_detail_carries_its_metrics(api_as, rep_a, launch):
    response = api_as(rep_a).get(f"/campaigns/{launch.campaign.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["objective"], body["goal_leads"], body["goal_pipeline"]) == (
        "leads",
        4,
        "10000.00",
    )
    assert body["metrics"] == {
        "cost_currency": "EUR",
        "revenue_currency": "EUR",
        "impressions": 15000,
        "clicks": 300,
        "ctr": "2.00",
        "cost": "500.00",
        "leads": 4,
        "cost_per_lead": "125.00",
        "mqls": 5,
        "sqls": 4,
        "pipeline": "10000.00",
        "won_revenue": "15000.00",
        "won_deals": 2,
        "roas": "30.00",
        "new_customers": 2,
        "cac": "250.00",
        "budget_used": "50.0",
        "team_only": True,  # rep_a: but every deal here is unowned, so all count
        "whole_audience": True,
        "goals": [
            {"key": "leads", "goal": 4, "actual": 4, "percent": "100.0"},
            {"key": "mqls", "goal": 2, "actual": 5, "percent": "250.0"},
            {"key": "sqls", "goal": None, "actual": 4, "percent": None},
            {"key": "pipeline", "goal": "10000.00", "actual": "10000.00", "percent": "100.0"},
            {"key": "won_revenue", "goal": "20000.00", "actual": "15000.00", "percent": "75.0"},
        ],
    }


def test_ratios_without_a_denominator_are_null(api_as, rep_a, db):
    campaign = Campaign.objects.create(name="Quiet", channel=Channel.PR)

    metrics = api_as(rep_a).get(f"/campaigns/{campaign.pk}").json()["metrics"]

    assert (metrics["ctr"], metrics["cost_per_lead"], metrics["roas"], metrics["cac"]) == (
        None,
        None,
        None,
        None,
    )


def test_create_and_patch_plan_fields(api_as, marketer):
    api = api_as(marketer)

    created = api.post(
        "/campaigns",
        {"name": "Q3 push", "channel": "email", "objective": "revenue", "goal_revenue": "5000"},
    )
    pk = created.json()["id"]
    patched = api.patch(
        f"/campaigns/{pk}", {"audience": "Existing customers", "goal_revenue": None}
    )

    assert created.status_code == 201
    assert patched.status_code == 200
    assert (patched.json()["objective"], patched.json()["audience"]) == (
        "revenue",
        "Existing customers",
    )
    assert patched.json()["goal_revenue"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"objective": "fame"}, "objective"),
        ({"goal_leads": -1}, "goal_leads"),
        ({"goal_pipeline": "-5"}, "goal_pipeline"),
        ({"currency": "ZZZ"}, "currency"),
    ],
)
def test_bad_plan_fields_are_422(api_as, marketer, body, field):
    response = api_as(marketer).post("/campaigns", {"name": "X", "channel": "email", **body})

    assert response.status_code == 422
    assert [str(e["loc"][-1]) for e in response.json()["detail"]] == [field]
    assert Campaign.objects.count() == 0


def test_record_spend_creates_then_replaces(api_as, marketer, launch):
    api = api_as(marketer)
    url = f"/campaigns/{launch.campaign.pk}/spend"

    first = api.post(url, {"date": "2025-03-10", "spend": "80.5", "impressions": 900, "clicks": 9})
    second = api.post(url, {"date": "2025-03-10", "spend": "81", "clicks": 10})

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert {k: v for k, v in second.json().items() if k != "updated_at"} == {
        "id": first.json()["id"],
        "campaign_id": launch.campaign.pk,
        "creative_id": None,
        "date": "2025-03-10",
        "source": "manual",
        "spend": "81.00",
        "currency": "EUR",
        "impressions": 0,
        "clicks": 10,
        "spend_import_id": None,
    }
    listing = api.get(url, {"date_from": "2025-03-04"}).json()
    assert listing["total"] == 2
    assert [row["date"] for row in listing["items"]] == ["2025-03-10", "2025-03-04"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"spend": "-1"}, "spend"),
        ({"currency": "USD"}, "currency"),
        ({"currency": "<script>"}, "currency"),
        ({"date": "2025-02-30"}, "date"),
        ({"date": "2999-01-01"}, "date"),
        ({"impressions": -5}, "impressions"),
        ({"creative_id": 999999}, "creative_id"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_spend_is_422_and_writes_nothing(api_as, marketer, launch, body, field):
    before = AdSpend.objects.count()

    response = api_as(marketer).post(
        f"/campaigns/{launch.campaign.pk}/spend", {"date": "2025-03-10", "spend": "1", **body}
    )

    assert response.status_code == 422
    assert [str(e["loc"][-1]) for e in response.json()["detail"]] == [field]
    assert AdSpend.objects.count() == before


def test_creative_must_be_of_the_campaign(api_as, marketer, launch, funnel):
    other = Creative.objects.create(
        campaign=funnel.spring, name="Other ad", cta_label="Go", cta_action=CtaAction.FORM
    )

    response = api_as(marketer).post(
        f"/campaigns/{launch.campaign.pk}/spend",
        {"date": "2025-03-10", "spend": "1", "creative_id": other.pk},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == f"There is no creative with id {other.pk}."


def test_sales_rep_reads_spend_but_cannot_write_it(api_as, rep_a, launch):
    api = api_as(rep_a)
    url = f"/campaigns/{launch.campaign.pk}/spend"
    row = AdSpend.objects.filter(campaign=launch.campaign).first()

    assert api.get(url).status_code == 200
    assert api.post(url, {"date": "2025-03-10", "spend": "1"}).status_code == 403
    assert api.delete(f"{url}/{row.pk}").status_code == 403
    assert AdSpend.objects.filter(campaign=launch.campaign).count() == 2


def test_delete_spend(api_as, marketer, launch):
    row = AdSpend.objects.filter(campaign=launch.campaign, date=date(2025, 3, 3)).get()

    response = api_as(marketer).delete(f"/campaigns/{launch.campaign.pk}/spend/{row.pk}")

    assert response.status_code == 204
    assert list(AdSpend.objects.values_list("spend", flat=True)) == [Decimal("200.00")]


def test_unknown_campaign_is_404(api_as, marketer, db):
    api = api_as(marketer)

    assert api.get("/campaigns/999/spend").status_code == 404
    assert api.post("/campaigns/999/spend", {"date": "2025-03-10", "spend": "1"}).status_code == 404
