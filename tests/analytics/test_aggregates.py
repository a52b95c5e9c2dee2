"""The daily touch stats: folded incrementally, they equal a direct COUNT over the touchpoints."""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from revline.analytics import aggregates
from revline.analytics.models import AggregateWatermark, DailyTouchStats
from revline.campaigns.models import Campaign, Channel
from revline.people.services import contact_create
from revline.tracking.models import Touchpoint, TouchpointKind

KINDS = [TouchpointKind.PAGE_VIEW, TouchpointKind.CLICK, TouchpointKind.FORM_SUBMISSION]


def direct_counts() -> dict[tuple, tuple[int, int]]:
    """The truth: one GROUP BY over all touchpoints."""
    tz = timezone.get_current_timezone()
    rows = (
        Touchpoint.objects.annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .values("day", "campaign_id", "channel", "kind")
        .annotate(touches=Count("pk"), identified=Count("contact_id"))
        .order_by()
    )
    return {
        (r["day"], r["campaign_id"], r["channel"], r["kind"]): (r["touches"], r["identified"])
        for r in rows
    }


def stats() -> dict[tuple, tuple[int, int]]:
    return {
        (s.day, s.campaign_id, s.channel, s.kind): (s.touches, s.identified)
        for s in DailyTouchStats.objects.all()
    }


@pytest.fixture
def world(db):
    campaigns = [
        Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH),
        Campaign.objects.create(name="News", channel=Channel.EMAIL),
    ]
    contacts = [
        contact_create(actor=None, first_name=f"C{i}", email=f"c{i}@example.com") for i in range(3)
    ]
    return campaigns, contacts


def insert_random(rng: random.Random, count: int, campaigns, contacts) -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    rows = []
    for _ in range(count):
        campaign = rng.choice([None, *campaigns])
        rows.append(
            Touchpoint(
                kind=rng.choice(KINDS),
                occurred_at=start + timedelta(minutes=rng.randrange(0, 60 * 24 * 5)),
                campaign=campaign,
                channel=campaign.channel if campaign else rng.choice(["", "direct"]),
                contact=rng.choice([None, *contacts]),
            )
        )
    Touchpoint.objects.bulk_create(rows)


def test_incremental_folds_equal_a_direct_count_after_each_batch(world):
    campaigns, contacts = world
    rng = random.Random(7)
    for round_size in (1, 37, 0, 250, 3):
        # Given new touchpoints since the last fold
        insert_random(rng, round_size, campaigns, contacts)

        # When the fold runs in small batches
        folded = aggregates.touch_stats_fold(batch_size=16)

        # Then it folded exactly the new ones and the stats equal the live GROUP BY
        assert folded == round_size
        assert stats() == direct_counts()
    assert AggregateWatermark.objects.get(name=aggregates.WATERMARK).last_id == (
        Touchpoint.objects.latest("pk").pk
    )


def test_folding_again_changes_nothing(world):
    campaigns, contacts = world
    insert_random(random.Random(1), 40, campaigns, contacts)
    aggregates.touch_stats_fold(batch_size=7)
    before = stats()

    assert aggregates.touch_stats_fold() == 0
    assert aggregates.touch_stats_refresh() == 0
    assert stats() == before
    assert sum(t for t, _ in before.values()) == 40


def test_a_bounded_run_leaves_the_rest_for_the_next(world):
    campaigns, contacts = world
    insert_random(random.Random(2), 30, campaigns, contacts)

    assert aggregates.touch_stats_fold(batch_size=10, max_batches=2) == 20
    assert sum(s.touches for s in DailyTouchStats.objects.all()) == 20
    assert aggregates.touch_stats_state().pending == 10
    assert aggregates.touch_stats_fold(batch_size=10) == 10
    assert stats() == direct_counts()
    assert aggregates.touch_stats_state().pending == 0


def test_rebuild_equals_the_incremental_result_and_repairs_what_the_fold_missed(world):
    campaigns, contacts = world
    rng = random.Random(3)
    insert_random(rng, 60, campaigns, contacts)
    aggregates.touch_stats_fold(batch_size=9)
    insert_random(rng, 25, campaigns, contacts)
    aggregates.touch_stats_fold(batch_size=9)
    incremental = stats()

    # A rebuild from scratch gives the same stats
    assert aggregates.touch_stats_rebuild() == 85
    assert stats() == incremental

    # Given a touch identified and another deleted after they were folded
    anonymous = Touchpoint.objects.filter(contact__isnull=True).order_by("pk").first()
    anonymous.contact = contacts[0]
    anonymous.save()
    Touchpoint.objects.order_by("pk").last().delete()
    assert stats() != direct_counts()  # the fold cannot see changes below the watermark
    assert aggregates.touch_stats_fold() == 0

    # When the stats are rebuilt, they match again
    assert aggregates.touch_stats_rebuild() == 84
    assert stats() == direct_counts()


def test_days_are_local_calendar_days(world, settings):
    settings.TIME_ZONE = "America/New_York"
    timezone.activate("America/New_York")
    try:
        # 02:00 UTC on the 2nd is still the evening of the 1st in New York
        Touchpoint.objects.create(
            kind=TouchpointKind.PAGE_VIEW, occurred_at=datetime(2025, 3, 2, 2, tzinfo=UTC)
        )
        aggregates.touch_stats_fold()
    finally:
        timezone.deactivate()

    assert list(DailyTouchStats.objects.values_list("day", "touches", "identified")) == [
        (date(2025, 3, 1), 1, 0)
    ]


def test_touch_counts_read_the_stats_for_a_range(world):
    campaigns, contacts = world
    Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                kind=TouchpointKind.CLICK,
                occurred_at=datetime(2025, 3, day, 12, tzinfo=UTC),
                campaign=campaigns[0],
                channel=Channel.PAID_SEARCH,
                contact=contacts[0] if day == 2 else None,
            )
            for day in (1, 2, 2, 9)
        ]
    )
    aggregates.touch_stats_fold()

    rows = aggregates.touch_counts(start=date(2025, 3, 1), end=date(2025, 3, 8))

    assert rows == [{"channel": "paid_search", "touches": 3, "identified": 2}]
    with pytest.raises(ValueError, match="Unknown grouping"):
        aggregates.touch_counts(start=date(2025, 3, 1), end=date(2025, 3, 8), by=["url"])


def test_bad_batch_size_is_refused_and_folds_nothing(world):
    Touchpoint.objects.create(kind=TouchpointKind.CLICK, occurred_at=timezone.now())
    with pytest.raises(ValueError):
        aggregates.touch_stats_fold(batch_size=0)
    assert not DailyTouchStats.objects.exists()
    assert Counter(AggregateWatermark.objects.values_list("name", flat=True)) == Counter()


def stat_rows(days: set[date], *, inside: bool) -> dict[int, tuple]:
    """The stats rows (by pk, so a rewrite shows) of `days`, or of every other day."""
    rows = DailyTouchStats.objects.filter(day__in=days)
    if not inside:
        rows = DailyTouchStats.objects.exclude(day__in=days)
    return {s.pk: (s.day, s.campaign_id, s.channel, s.kind, s.touches, s.identified) for s in rows}


def test_rebuilding_some_days_repairs_those_days_and_leaves_the_others(world):
    # Given folded stats over five days, then one contact's touches on two of them deleted
    campaigns, contacts = world
    insert_random(random.Random(4), 200, campaigns, contacts)
    aggregates.touch_stats_fold()
    gone = Touchpoint.objects.filter(
        contact=contacts[0], occurred_at__gte=datetime(2025, 3, 2, tzinfo=UTC),
        occurred_at__lt=datetime(2025, 3, 4, tzinfo=UTC),
    )  # fmt: skip
    days = aggregates.touch_days(gone)
    gone.delete()
    # ...and a touch recorded since the last fold, on one of those days
    Touchpoint.objects.create(
        kind=TouchpointKind.FORM_SUBMISSION, occurred_at=datetime(2025, 3, 2, 8, tzinfo=UTC),
        channel="newsletter",
    )  # fmt: skip
    others = stat_rows(days, inside=False)
    truth = direct_counts()

    # When just those days are rebuilt
    counted = aggregates.touch_stats_rebuild_days(days=days)

    # Then they match the touchpoints folded so far, and no other day's row was rewritten
    assert days == {date(2025, 3, 2), date(2025, 3, 3)}
    rebuilt = {row[:4]: row[4:] for row in stat_rows(days, inside=True).values()}
    expected = {
        key: value for key, value in truth.items() if key[0] in days and key[2] != "newsletter"
    }
    assert rebuilt == expected
    assert counted == sum(touches for touches, _ in expected.values())
    assert stat_rows(days, inside=False) == others
    # The newer touch is left to the fold, which then brings everything level
    assert aggregates.touch_stats_fold() == 1
    assert stats() == direct_counts()


def test_rebuilding_days_uses_local_calendar_days(world, settings):
    settings.TIME_ZONE = "America/New_York"
    timezone.activate("America/New_York")
    try:
        # Given a touch at 02:00 UTC on the 2nd, which is the 1st in New York, and one on the 2nd
        late = Touchpoint.objects.create(
            kind=TouchpointKind.PAGE_VIEW, occurred_at=datetime(2025, 3, 2, 2, tzinfo=UTC)
        )
        Touchpoint.objects.create(
            kind=TouchpointKind.PAGE_VIEW, occurred_at=datetime(2025, 3, 2, 18, tzinfo=UTC)
        )
        aggregates.touch_stats_fold()
        days = aggregates.touch_days(Touchpoint.objects.filter(pk=late.pk))
        late.delete()

        # When its day is rebuilt
        aggregates.touch_stats_rebuild_days(days=days)
    finally:
        timezone.deactivate()

    # Then the 1st is empty and the 2nd keeps its touch
    assert days == {date(2025, 3, 1)}
    assert list(DailyTouchStats.objects.values_list("day", "touches")) == [(date(2025, 3, 2), 1)]


def test_rebuilding_no_days_changes_nothing(world):
    campaigns, contacts = world
    insert_random(random.Random(5), 20, campaigns, contacts)
    aggregates.touch_stats_fold()
    before = stat_rows(set(), inside=False)

    assert aggregates.touch_stats_rebuild_days(days=[]) == 0
    assert stat_rows(set(), inside=False) == before
