"""Demo objections, close reasons and competitors on a small set of deals."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from revline.content.models import ContentItem
from revline.core.demo.objections import build_objections
from revline.sales.models import Competitor, Deal, Objection, ObjectionType
from revline.sales.services import deal_close_lost, deal_close_won, pipeline_default
from tests.sales.conftest import make_deal

NOW = datetime(2025, 5, 20, tzinfo=UTC)


@pytest.fixture
def deals(rep_a, rep_b):
    pipeline_default()
    ContentItem.objects.create(title="Pricing guide", kind="guide")
    made = [
        make_deal(rep_a if i % 2 else rep_b, f"D{i}", created_at=NOW - timedelta(days=60))
        for i in range(40)
    ]
    for deal in made[:10]:
        deal_close_won(actor=None, deal=deal, note="ok", at=NOW - timedelta(days=5))
    for deal in made[10:25]:
        deal_close_lost(actor=None, deal=deal, note="no", at=NOW - timedelta(days=5))
    return made


def snapshot():
    return (
        list(
            Objection.objects.order_by("pk").values_list(
                "deal__name", "objection_type__name", "outcome", "response__title"
            )
        ),
        list(
            Deal.objects.order_by("name").values_list("name", "close_reason__name", "lost_to__name")
        ),
    )


@pytest.mark.django_db
def test_demo_objections_fill_the_library_reasons_and_objections(deals):
    build_objections(rng=random.Random(7), now=NOW)

    assert ObjectionType.objects.count() == 8
    for objection_type in ObjectionType.objects.all():
        assert 2 <= objection_type.responses.count() <= 3
        assert objection_type.content.count() == 1
    assert Competitor.objects.count() == 5
    closed = Deal.objects.exclude(status="open")
    assert closed.filter(close_reason__isnull=True).count() == 0
    assert all(d.close_reason.kind == d.status for d in closed.select_related("close_reason"))
    assert Deal.objects.filter(status="won", lost_to__isnull=False).count() == 0
    assert Deal.objects.filter(status="lost", lost_to__isnull=False).exists()
    objections = Objection.objects.select_related("deal", "stage", "response")
    assert 25 <= objections.count() <= 80
    for objection in objections:
        assert objection.stage.kind == "open"
        assert (
            objection.response is None
            or objection.response.objection_type_id == objection.objection_type_id
        )
        assert objection.raised_at <= (objection.deal.closed_at or NOW)
        if objection.deal.status != "open":
            assert objection.outcome in ("overcome", "not_overcome")
    # Running it again changes nothing
    before = snapshot()
    build_objections(rng=random.Random(8), now=NOW)
    assert snapshot() == before
