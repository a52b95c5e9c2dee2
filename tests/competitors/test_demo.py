"""The demo's competitors: battlecards, deals involved (lost ones with the competitor they went
to) and coverage naming them, on a few hand-made deals."""

import random
from datetime import UTC, datetime

from revline.competitors.selectors import ReportScope, coverage_mentioning, win_loss_report
from revline.competitors.services import competitor_create
from revline.core.demo.competitors import PROFILES, build_competitors
from revline.sales.models import Competitor, Deal
from revline.sales.services import deal_close_lost

from .conftest import make_deal, reason

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def test_the_demo_gives_battlecards_and_involves_competitors(pipeline, admin_user, rep_a):
    # Given the sales demo's bare competitor and deals, some lost to it
    bare = competitor_create(actor=None, name="Pipedrift", website="https://pipedrift.example")
    for index in range(40):
        deal = make_deal(rep_a, name=f"Deal {index}")
        if index < 4:
            deal_close_lost(actor=None, deal=deal, reason=reason("lost", "Price"), lost_to=bare)
            deal.competitors.clear()  # as the bulk-written demo leaves them
    # When the competitors are built
    counts = build_competitors(rng=random.Random(3), now=NOW)
    # Then every profiled competitor has a full battlecard, the bare one completed in place
    assert counts["battlecards"] == 4
    assert Competitor.objects.count() == 4
    bare.refresh_from_db()
    assert bare.how_to_win == PROFILES[0]["how_to_win"]
    assert all(c.how_to_win and c.landmines and c.proof_points for c in Competitor.objects.all())
    # and each lost deal involves the competitor it went to; others have one or two at times
    for deal in Deal.objects.filter(lost_to__isnull=False):
        assert deal.competitors.filter(pk=deal.lost_to_id).exists()
    links = Deal.competitors.through.objects.count()
    assert counts["deal_links"] == links
    assert 4 < links < 40
    # and the report and the PR coverage have something to show
    assert win_loss_report(admin_user, ReportScope()).rows
    assert counts["coverage"] == 6
    assert coverage_mentioning(Competitor.objects.get(name="Closewise")).count() == 2


def test_the_demo_is_deterministic(pipeline, rep_a):
    for index in range(30):
        make_deal(rep_a, name=f"Deal {index}")
    build_competitors(rng=random.Random(5), now=NOW)
    first = sorted(Deal.competitors.through.objects.values_list("deal__name", "competitor__name"))
    Deal.competitors.through.objects.all().delete()
    build_competitors(rng=random.Random(5), now=NOW)
    second = sorted(Deal.competitors.through.objects.values_list("deal__name", "competitor__name"))
    assert first == second
