"""Demo feedback: what sales recorded is collected, call feedback in four themes is added, and
the themes page shows them by their plain names."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from revline.core.demo.feedback import PER_THEME, build_feedback
from revline.feedback.models import FeedbackItem, FeedbackSource, RunStatus, ThemeRun, Topic
from revline.sales.models import Deal, DealStatus, Objection, ObjectionType
from revline.sales.objection_services import objection_types_ensure_defaults
from revline.sales.services import pipeline_default
from tests.sales.conftest import make_deal

NOW = datetime(2025, 5, 20, tzinfo=UTC)


@pytest.fixture
def workspace(admin_user, rep_a, contact_with_company):
    pipeline_default()
    objection_types_ensure_defaults()
    deals = [make_deal(rep_a, f"D{i}", created_at=NOW - timedelta(days=90)) for i in range(6)]
    # Written straight to the tables, as the demo does: only the back-fill sees them.
    Deal.objects.filter(pk__in=[d.pk for d in deals[:3]]).update(
        status=DealStatus.LOST, closed_at=NOW - timedelta(days=5), close_note="No budget this year"
    )
    Objection.objects.create(
        deal=deals[4],
        objection_type=ObjectionType.objects.first(),
        buyer_words="Your competitor quoted us 20 % less.",
        stage=deals[4].stage,
        raised_at=NOW - timedelta(days=9),
    )
    return deals


@pytest.fixture
def contact_with_company(db):
    from revline.people.services import company_create, contact_create

    company = company_create(actor=None, name="Acme")
    return contact_create(actor=None, first_name="Ada", email="ada@acme.example", company=company)


def test_the_demo_inbox_has_clear_named_themes(workspace):
    counts = build_feedback(rng=random.Random(1), now=NOW)

    assert counts["feedback from lost reason"] == 3
    assert counts["feedback from objection"] == 1
    assert counts["call feedback"] == 4 * PER_THEME
    assert FeedbackItem.objects.count() == 4 * PER_THEME + 4
    run = ThemeRun.objects.get()
    assert run.status == RunStatus.DONE
    assert counts["topics"] == run.topic_count >= 4
    names = set(Topic.objects.filter(is_renamed=True).values_list("name", flat=True))
    assert names == {"Price and cost", "Onboarding and support", "Reporting", "Integrations"}
    price = Topic.objects.get(name="Price and cost")
    assert price.items.filter(text__icontains="price").count() >= 0.8 * price.items.count()
    assert not FeedbackItem.objects.filter(occurred_at__gt=NOW).exists()


def test_a_second_build_adds_no_feedback(workspace):
    build_feedback(rng=random.Random(1), now=NOW)
    before = FeedbackItem.objects.count()

    counts = build_feedback(rng=random.Random(2), now=NOW + timedelta(hours=1))

    assert counts["call feedback"] == 0
    assert FeedbackItem.objects.count() == before
    assert FeedbackItem.objects.filter(source=FeedbackSource.MANUAL).count() == 4 * PER_THEME
