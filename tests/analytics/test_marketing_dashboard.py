"""The marketing dashboard: its pure helpers, its numbers on a small fixture, and its page."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps

from revline.analytics import dashboard
from revline.analytics.dashboard import Period
from revline.campaigns.models import AdSpend, Campaign, Channel, SpendSource
from revline.content.models import ContentItem, ContentKind
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

from ..campaigns.conftest import build_launch

MARCH = Period(start=date(2025, 3, 1), end=date(2025, 3, 31), bucket=dashboard.WEEK)
HOSTILE = "News <script>alert(1)</script>"


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


# ---------------------------------------------------------------- pure helpers


def test_weeks_start_on_monday_and_months_on_the_first():
    assert dashboard.bucket_starts(MARCH) == [
        date(2025, 2, 24),
        date(2025, 3, 3),
        date(2025, 3, 10),
        date(2025, 3, 17),
        date(2025, 3, 24),
        date(2025, 3, 31),
    ]
    months = Period(start=date(2024, 12, 15), end=date(2025, 2, 1), bucket=dashboard.MONTH)
    assert dashboard.bucket_starts(months) == [
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert dashboard.bucket_label(date(2025, 1, 1), dashboard.MONTH) == "Jan 2025"
    assert dashboard.auto_bucket(date(2025, 1, 1), date(2025, 4, 30)) == dashboard.WEEK
    assert dashboard.auto_bucket(date(2025, 1, 1), date(2025, 5, 1)) == dashboard.MONTH


def test_series_counts_per_bucket_and_channel_largest_channel_first():
    events = [
        (date(2025, 3, 3), "email"),
        (date(2025, 3, 4), "paid_search"),
        (date(2025, 3, 9), "paid_search"),
        (date(2025, 3, 31), "none"),
        (date(2025, 5, 1), "email"),  # outside the period
    ]

    result = dashboard.series(events, MARCH)

    assert result.channels == [
        ("paid_search", "Paid search", [0, 2, 0, 0, 0, 0], 2),
        ("email", "Email", [0, 1, 0, 0, 0, 0], 1),
        ("none", "No campaign", [0, 0, 0, 0, 0, 1], 1),
    ]
    assert (result.totals, result.total) == ([0, 3, 0, 0, 0, 1], 4)


def test_credit_goes_in_full_to_each_campaign_touched_by_the_moment():
    touches = {1: [(at(1), 10), (at(2), 20), (at(9), 30)], 2: [(at(5), 10)]}
    deals = [(1, Decimal("100"), at(3)), (2, Decimal("50"), at(4)), (3, Decimal("7"), at(4))]

    assert dashboard.credit_campaigns(deals, touches) == {
        10: (Decimal("100"), 1),
        20: (Decimal("100"), 1),
    }


def test_last_channel_before_a_moment():
    touches = [(at(1), "email"), (at(3), "paid_social"), (at(9), "pr")]

    assert dashboard.last_channel_before(at(5), touches) == "paid_social"
    assert dashboard.last_channel_before(at(1, 8), touches) == "none"


# ---------------------------------------------------------------- numbers


@pytest.fixture
def march(marketer):
    """Launch (see tests/campaigns/conftest.py) plus, in March 2025:
    - Gus submits a newsletter form on the 12th, his €2,000 deal is opened that day and won on
      the 20th; Hal submits a form of no campaign on the 18th;
    - Launch also spent €100 in February; Display has a €500 budget and no spend;
    - the Guide was viewed 3 times in March (and once in February) and brought Ann in;
    - one piece of coverage in March, one in February."""
    launch = build_launch(owner=marketer)
    AdSpend.objects.create(
        campaign=launch.campaign,
        date=date(2025, 2, 20),
        source=SpendSource.MANUAL,
        spend=Decimal("100"),
        currency="EUR",
    )
    newsletter = Campaign.objects.create(name=HOSTILE, channel=Channel.EMAIL)
    Campaign.objects.create(
        name="Display", channel=Channel.DISPLAY, budget=Decimal("500"), start_date=date(2025, 3, 1)
    )
    gus = contact_create(actor=None, first_name="Gus", email="gus@example.com")
    hal = contact_create(actor=None, first_name="Hal", email="hal@example.com")
    touchpoint_record(
        kind=TouchpointKind.FORM_SUBMISSION,
        visitor=None,
        contact=gus,
        campaign=newsletter,
        occurred_at=at(12),
    )
    touchpoint_record(
        kind=TouchpointKind.FORM_SUBMISSION, visitor=None, contact=hal, occurred_at=at(18)
    )
    deal = deal_create(
        actor=None, name="Gus deal", amount=Decimal("2000"), contact=gus, created_at=at(12, 10)
    )
    deal_close_won(actor=None, deal=deal, note="Fit", at=at(20))
    guide = ContentItem.objects.create(title="Guide <i>", kind=ContentKind.WHITEPAPER)
    ContentItem.objects.create(title="Unread", kind=ContentKind.BLOG_POST)
    for moment in (at(4), at(5), at(6), at(4) - timedelta(days=30)):
        view = touchpoint_record(kind=TouchpointKind.PAGE_VIEW, visitor=None, occurred_at=moment)
        view.content_item = guide
        view.save()
    submission = touchpoint_record(
        kind=TouchpointKind.FORM_SUBMISSION,
        visitor=None,
        contact=launch.contacts["Ann"],
        campaign=launch.campaign,
        occurred_at=at(7),
    )
    submission.content_item = guide
    submission.save()
    coverage = apps.get_model("pr", "Coverage")
    coverage.objects.create(
        outlet="Trade Weekly",
        title="Revline <b>launches</b>",
        url="javascript:alert(1)",
        published_on=date(2025, 3, 14),
    )
    coverage.objects.create(outlet="Old News", title="Earlier", published_on=date(2025, 2, 14))
    return launch


def test_dashboard_numbers_for_march(march):
    report = dashboard.marketing_dashboard(MARCH)

    assert (report.spend, report.leads, report.mqls) == (Decimal("500.00"), 6, 4)
    assert (report.pipeline, report.won_revenue) == (Decimal("12000.00"), Decimal("17000.00"))
    assert report.cost_per_lead == Decimal("83.33")
    assert [
        (r.campaign.name, r.spend_period, r.spend_to_date, r.used) for r in report.spend_rows
    ] == [
        ("Launch", Decimal("500.00"), Decimal("600.00"), Decimal("60.0")),
        ("Display", Decimal("0"), Decimal("0"), Decimal("0.0")),
    ]
    assert [
        (t.currency, t.budget, t.spend_period, t.spend_to_date) for t in report.spend_totals
    ] == [("EUR", Decimal("1500.00"), Decimal("500.00"), Decimal("600.00"))]
    assert report.leads_by_channel.channels == [
        ("paid_social", "Paid social", [0, 4, 0, 0, 0, 0], 4),
        ("email", "Email", [0, 0, 1, 0, 0, 0], 1),
        ("none", "No campaign", [0, 0, 0, 1, 0, 0], 1),
    ]
    assert report.mqls_by_channel.channels == [
        ("paid_social", "Paid social", [0, 3, 0, 0, 0, 0], 3),
        ("email", "Email", [0, 0, 1, 0, 0, 0], 1),
    ]
    assert [(r.campaign.name, r.amount, r.deals) for r in report.top_pipeline] == [
        ("Launch", Decimal("10000.00"), 2),
        (HOSTILE, Decimal("2000.00"), 1),
    ]
    assert [(r.campaign.name, r.amount, r.deals) for r in report.top_revenue] == [
        ("Launch", Decimal("15000.00"), 2),
        (HOSTILE, Decimal("2000.00"), 1),
    ]
    assert [(r.item.title, r.views, r.leads) for r in report.top_content] == [("Guide <i>", 3, 1)]
    assert report.coverage_available is True
    assert [(c.title, c.outlet, c.url) for c in report.coverage] == [
        ("Revline <b>launches</b>", "Trade Weekly", "")  # a non-http address is not linked
    ]


def test_dashboard_of_an_empty_period(db):
    report = dashboard.marketing_dashboard(MARCH)

    assert (report.spend, report.leads, report.mqls, report.cost_per_lead) == (
        Decimal("0"),
        0,
        0,
        None,
    )
    assert (report.spend_rows, report.top_pipeline, report.top_content, report.coverage) == (
        [],
        [],
        [],
        [],
    )
    assert report.leads_by_channel.totals == [0, 0, 0, 0, 0, 0]


# ---------------------------------------------------------------- page


def test_page_shows_charts_with_the_same_numbers_beside_them(client, rep_a, march):
    client.force_login(rep_a)

    response = client.get("/reports/marketing/?start=2025-03-01&end=2025-03-31")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="muted" id="period-shown">Mar 1, 2025 – Mar 31, 2025 · by week</p>' in html
    assert '<span data-stat="pipeline">€12,000</span>' in html
    assert '<td class="num" data-total="all"><strong>6</strong></td>' in html
    assert '<td class="num" data-channel="paid_social">4</td><td class="num">67%</td>' in html
    assert (
        '<tr data-total="EUR"><td><strong>Total EUR</strong></td><td class="num">€1,500</td>'
        in html
    )
    for canvas in ("spend-chart", "leads-chart", "mqls-chart", "pipeline-chart", "revenue-chart"):
        assert f'id="{canvas}"' in html
    data = json.loads(
        html.split('<script id="marketing-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["leads"]["labels"] == ["Feb 24", "Mar 3", "Mar 10", "Mar 17", "Mar 24", "Mar 31"]
    assert [d["label"] for d in data["leads"]["datasets"]] == [
        "Paid social",
        "Email",
        "No campaign",
    ]
    assert data["pipeline"] == {"labels": ["Launch", HOSTILE], "data": [10000.0, 2000.0]}
    assert data["spend"]["spend_period"] == [500.0, 0.0]
    # Campaign names, content titles and coverage are escaped everywhere, JSON included.
    assert "<script>alert(1)</script>" not in html
    assert "News &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Guide &lt;i&gt;" in html
    assert "Revline &lt;b&gt;launches&lt;/b&gt;" in html
    assert "javascript:" not in html


def test_page_groups_by_month_when_asked(client, rep_a, march):
    client.force_login(rep_a)

    response = client.get("/reports/marketing/?start=2025-01-01&end=2025-03-31&group=month")

    series = response.context["report"].leads_by_channel
    assert (series.labels, series.totals) == (["Jan 2025", "Feb 2025", "Mar 2025"], [0, 0, 6])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-03-31&end=2025-03-01", "The start date must be on or before the end date."),
        ("start=2025-02-30", "Enter a valid date."),
        ("start=2019-01-01&end=2025-01-01", "Choose a period of at most three years."),
        ("start=1900-01-01", "Enter a date between 2000 and 2100."),
        ("group=%3Cscript%3E", "Select a valid choice."),
    ],
)
def test_bad_period_is_a_400_with_the_reason(client, rep_a, db, query, message):
    client.force_login(rep_a)

    response = client.get(f"/reports/marketing/?{query}")

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "<script>" not in html.split('<form class="card period-form"')[1].split("</form>")[0]


def test_default_period_is_the_last_90_days(client, rep_a, db):
    client.force_login(rep_a)

    response = client.get("/reports/marketing/")

    period = response.context["period"]
    assert response.status_code == 200
    assert (period.end - period.start).days == 89
    html = response.content.decode()
    assert "No leads in this period." in html
    assert "No coverage published in this period." in html


def test_login_is_required(client, db):
    response = client.get("/reports/marketing/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_single_bound_makes_a_90_day_window(client, rep_a, db):
    client.force_login(rep_a)

    to_end = client.get("/reports/marketing/?end=2025-03-31").context["period"]
    from_start = client.get("/reports/marketing/?start=2020-01-01").context["period"]

    assert (to_end.start, to_end.end, to_end.bucket) == (
        date(2025, 1, 1),
        date(2025, 3, 31),
        "week",
    )
    assert (from_start.start, from_start.end) == (date(2020, 1, 1), date(2020, 3, 30))
