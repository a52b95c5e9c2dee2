"""Demo quotas and forecast categories on a small set of deals."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from revline.core.demo.forecast import build_forecast
from revline.sales.models import Deal, Quota
from revline.sales.services import deal_close_won, pipeline_default
from tests.sales.conftest import make_deal

NOW = datetime(2025, 5, 20, tzinfo=UTC)


@pytest.fixture
def deals(rep_a, rep_b):
    pipeline = pipeline_default()
    stages = {s.name: s for s in pipeline.stages.all()}
    won = make_deal(rep_a, "Won", "60000", created_at=NOW - timedelta(days=90))
    deal_close_won(actor=None, deal=won, note="ok", at=NOW - timedelta(days=30))
    return {
        "late": make_deal(
            rep_a,
            "Late",
            stage=stages["Negotiation"],
            expected_close_date=date(2025, 6, 1),
        ),
        "late_far": make_deal(
            rep_a, "Late far", stage=stages["Negotiation"], expected_close_date=date(2025, 12, 1)
        ),
        "mid": make_deal(rep_b, "Mid", stage=stages["Proposal"]),
        "early": make_deal(rep_b, "Early", stage=stages["Qualification"]),
    }


def categories() -> dict[str, str]:
    return dict(Deal.objects.filter(status="open").values_list("name", "forecast_category"))


@pytest.mark.django_db
def test_demo_forecast_sets_quotas_and_categories(deals, rep_a, rep_b, manager_a):
    build_forecast(rng=random.Random(1), now=NOW)

    for user in (rep_a, rep_b, manager_a):
        months = Quota.objects.filter(user=user, period="month")
        assert months.count() == 16  # Jun 2024 to Sep 2025, the end of the next quarter
        assert sorted(
            Quota.objects.filter(user=user, period="quarter").values_list("period_start", flat=True)
        ) == [
            date(2024, 7, 1),
            date(2024, 10, 1),
            date(2025, 1, 1),
            date(2025, 4, 1),
            date(2025, 7, 1),
        ]
        assert all(q.amount >= Decimal("5000") for q in months)
        q2 = Quota.objects.get(user=user, period="quarter", period_start=date(2025, 4, 1))
        assert q2.amount == sum(
            months.filter(period_start__range=(date(2025, 4, 1), date(2025, 6, 1))).values_list(
                "amount", flat=True
            )
        )
    # rep_a won 60,000 in the year: about 5,000 a month, times 0.9-1.3 and a wobble.
    assert {q.amount for q in Quota.objects.filter(user=rep_a, period="month")} <= {
        Decimal(n) for n in range(5000, 10001, 500)
    }
    result = categories()
    assert result["Late far"] in {"best_case", "pipeline"}
    assert result["Late"] in {"commit", "best_case"}
    assert result["Mid"] in {"best_case", "pipeline"}
    assert result["Early"] in {"pipeline", "omitted"}


@pytest.mark.django_db
def test_demo_forecast_is_deterministic(deals):
    build_forecast(rng=random.Random(7), now=NOW)
    first = (categories(), sorted(Quota.objects.values_list("user_id", "period_start", "amount")))

    build_forecast(rng=random.Random(7), now=NOW)

    assert (
        categories(),
        sorted(Quota.objects.values_list("user_id", "period_start", "amount")),
    ) == first
