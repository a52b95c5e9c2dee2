"""The sales dashboard at /sales/: one widget per question, each over the visible deals."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from revline.sales.forecast import period_bounds
from revline.sales.models import Activity, Objection, ObjectionType, Quota
from revline.sales.services import deal_close_lost, deal_close_won

from .conftest import make_deal, stage

URL = "/sales/"
D = Decimal


def moment(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def start() -> date:
    return period_bounds("month", timezone.localdate())[0]


@pytest.fixture
def workbench(pipeline, rep_a, rep_b, start):
    proposal = make_deal(
        rep_a, "Ada proposal", "1000", stage=stage(pipeline, "Proposal"), expected_close_date=start
    )
    nego = make_deal(
        rep_b,
        "Bob negotiation",
        "2000",
        stage=stage(pipeline, "Negotiation"),
        expected_close_date=start + timedelta(days=1),
    )
    make_deal(rep_a, "Later", "700", expected_close_date=start + timedelta(days=62))
    won = make_deal(rep_a, "Won deal", "500", created_at=moment(start) - timedelta(days=10))
    deal_close_won(actor=None, deal=won, note="Signed", at=moment(start))
    lost = make_deal(rep_b, "Lost deal", "900", created_at=moment(start) - timedelta(days=3))
    deal_close_lost(actor=None, deal=lost, note="No budget", at=moment(start))
    for kind, user, n in (("call", rep_a, 2), ("note", rep_a, 1), ("meeting", rep_b, 1)):
        for _ in range(n):
            Activity.objects.create(
                kind=kind, subject="Talk", occurred_at=moment(start), created_by=user
            )
    price = ObjectionType.objects.create(name="Price")
    timing = ObjectionType.objects.create(name="Timing")
    for deal, kind, outcome in (
        (proposal, price, "overcome"),
        (proposal, price, "open"),
        (nego, timing, "not_overcome"),
    ):
        Objection.objects.create(
            deal=deal,
            objection_type=kind,
            stage=deal.stage,
            raised_at=timezone.now() - timedelta(days=5),
            outcome=outcome,
        )
    Objection.objects.create(  # too old for the 90 days
        deal=nego, objection_type=price, stage=nego.stage, raised_at=timezone.now() - timedelta(100)
    )
    Quota.objects.create(user=rep_a, period="month", period_start=start, amount=D("2000"))
    Quota.objects.create(user=rep_b, period="month", period_start=start, amount=D("1000"))


def test_the_dashboard_is_the_sales_home():
    assert reverse("sales:dashboard") == URL


@pytest.mark.django_db
def test_dashboard_widgets_for_an_admin(client, admin_user, workbench, start):
    client.force_login(admin_user)

    response = client.get(URL)

    assert response.status_code == 200
    ctx = response.context
    assert [(s.name, s.deals, s.amount) for s in ctx["by_stage"].stages] == [
        ("Qualification", 1, D("700")),
        ("Discovery", 0, D("0")),
        ("Proposal", 1, D("1000")),
        ("Negotiation", 1, D("2000")),
    ]
    assert [s.bar for s in ctx["by_stage"].stages] == [35, 0, 50, 100]
    assert (ctx["closing"].count, ctx["closing"].amount) == (2, D("3000"))
    assert [d.name for d in ctx["closing"].deals] == ["Ada proposal", "Bob negotiation"]
    this_month = ctx["trend"][-1]
    assert len(ctx["trend"]) == 12
    assert (this_month.month, this_month.won, this_month.lost) == (start, 1, 1)
    assert (this_month.win_rate, this_month.cycle_days) == (D("50.0"), D("10.0"))
    assert [(r.name, r.counts["call"], r.counts["note"], r.total) for r in ctx["activity"]] == [
        ("Rep_A", 2, 1, 3),
        ("Rep_B", 0, 0, 1),
    ]
    assert [(o.name, o.count, o.overcome) for o in ctx["objections"]] == [
        ("Price", 2, 1),
        ("Timing", 1, 0),
    ]
    assert [(a.user.username, a.won, a.attainment) for a in ctx["attainment"]] == [
        ("rep_a", D("500"), D("25.0")),
        ("rep_b", D("0"), D("0.0")),
    ]
    content = response.content.decode()
    assert 'id="stage-chart"' in content and 'id="trend-chart"' in content
    assert 'id="dashboard-data"' in content


@pytest.mark.django_db
def test_a_rep_of_another_team_sees_only_their_teams_numbers(client, rep_b, workbench):
    client.force_login(rep_b)

    ctx = client.get(URL).context

    assert [(s.name, s.deals) for s in ctx["by_stage"].stages if s.deals] == [("Negotiation", 1)]
    assert [d.name for d in ctx["closing"].deals] == ["Bob negotiation"]
    assert (ctx["trend"][-1].won, ctx["trend"][-1].lost, ctx["trend"][-1].win_rate) == (
        0,
        1,
        D("0.0"),
    )
    assert [r.name for r in ctx["activity"]] == ["Rep_B"]
    assert [(o.name, o.count) for o in ctx["objections"]] == [("Timing", 1)]
    assert [a.user.username for a in ctx["attainment"]] == ["rep_b"]


@pytest.mark.django_db
def test_dashboard_query_count_does_not_grow_with_deals(
    client, admin_user, workbench, rep_a, start
):
    client.force_login(admin_user)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(20):
        deal = make_deal(rep_a, f"Bulk {n}", "100", expected_close_date=start)
        if n % 2:
            deal_close_won(actor=None, deal=deal, note="ok", at=moment(start))

    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert response.context["closing"].count == 12
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_empty_dashboard_shows_empty_states(client, rep_a):
    client.force_login(rep_a)

    response = client.get(URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert "No open deal is expected to close this month." in content
    assert "No objection logged in the last 90 days." in content
    assert "No quota is set for this month." in content
