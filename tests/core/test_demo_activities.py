"""Demo activities, playbooks and content shares on a small set of deals."""

import random
from datetime import UTC, datetime

import pytest

from revline.content.models import ContentItem
from revline.core.demo.activities import build_activities
from revline.people.services import contact_create
from revline.sales.activity_selectors import my_day
from revline.sales.models import Activity, ContentShare, StagePlaybook
from tests.sales.conftest import make_deal

NOW = datetime(2025, 5, 20, tzinfo=UTC)


@pytest.fixture
def deals(rep_a, rep_b, admin_user):
    ada = contact_create(actor=None, first_name="Ada", last_name="L", email="ada@acme.example")
    for n in range(3):
        make_deal(rep_a, f"A{n}", contact=ada)
        make_deal(rep_b, f"B{n}", contact=ada)
    for n in range(4):
        ContentItem.objects.create(
            title=f"Item {n}", kind="whitepaper", status="published", url=f"https://ex.com/{n}"
        )


@pytest.mark.django_db
def test_demo_fills_my_day_playbooks_and_shares(deals, rep_a, rep_b):
    build_activities(rng=random.Random(1), now=NOW)

    for rep in (rep_a, rep_b):
        day = my_day(viewer=rep, user=rep, now=NOW.replace(hour=8))
        assert len(day.overdue) == 2
        assert len(day.today) == 3
        assert 1 <= len(day.meetings) <= 2
    assert StagePlaybook.objects.count() == 4
    assert all(p.items.count() >= 3 and p.content.count() >= 2 for p in StagePlaybook.objects.all())
    shares = ContentShare.objects.all()
    assert shares.count() == 6
    assert len({s.token for s in shares}) == 6
    assert all(s.last_opened_at is None or s.last_opened_at < NOW for s in shares)
    assert Activity.objects.filter(subject__startswith="Sent content:").count() == 6


@pytest.mark.django_db
def test_demo_activities_are_deterministic(deals):
    build_activities(rng=random.Random(7), now=NOW)
    first = list(Activity.objects.order_by("pk").values_list("subject", "due_at"))
    Activity.objects.all().delete()
    ContentShare.objects.all().delete()

    build_activities(rng=random.Random(7), now=NOW)

    assert list(Activity.objects.order_by("pk").values_list("subject", "due_at")) == first
