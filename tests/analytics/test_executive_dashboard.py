"""The executive dashboard's numbers, what each role sees, the page and its CSV exports."""

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from revline.analytics import aggregates
from revline.analytics.executive import DateRange
from revline.analytics.executive_selectors import executive_dashboard
from revline.campaigns.models import AdSpend, Campaign, Channel, SpendSource
from revline.people.services import contact_create
from revline.sales.models import Quota
from revline.sales.services import deal_close_lost, deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

from ..conftest import PASSWORD

Q2 = DateRange(date(2025, 4, 1), date(2025, 6, 30), "custom")
HOSTILE = '=HYPERLINK("http://evil") <script>alert(1)</script>'
Q2_QUERY = "?preset=custom&start=2025-04-01&end=2025-06-30"


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


@pytest.fixture
def q2(rep_a, rep_b):
    """In Q2 2025:
    - Ann touched the campaign on Apr 2; her €10,000 deal (rep A) was won on Apr 20;
    - Bea's €4,000 deal (rep B) was won on May 10, with no campaign touch;
    - rep A lost a €1,000 deal on May 2, has €3,000 open to close on May 30 and €500 open
      without a close date; rep B has €2,000 open to close on Jun 15;
    - quotas: rep A €6,000 for Q2, rep B €1,000 for April and for May;
    - €900 of ad spend in EUR on Apr 10 and one record in USD on Apr 11;
    - 4 touches: Ann's campaign click, two page views on Apr 7, one on May 1."""
    campaign = Campaign.objects.create(name=HOSTILE, channel=Channel.PAID_SEARCH)
    ann = contact_create(actor=None, first_name="Ann", email="ann@example.com")
    bea = contact_create(actor=None, first_name="Bea", email="bea@example.com")
    cid = contact_create(actor=None, first_name="Cid", email="cid@example.com")
    touchpoint_record(
        kind=TouchpointKind.CLICK,
        visitor=None,
        contact=ann,
        campaign=campaign,
        occurred_at=at(4, 2),
    )
    for moment in (at(4, 7), at(4, 7, 11), at(5, 1)):
        touchpoint_record(kind=TouchpointKind.PAGE_VIEW, visitor=None, occurred_at=moment)
    won_a = deal_create(
        actor=None, name="Ann deal", amount=Decimal("10000"), contact=ann, owner=rep_a,
        created_at=at(4, 3),
    )  # fmt: skip
    deal_close_won(actor=None, deal=won_a, note="Fit", at=at(4, 20))
    won_b = deal_create(
        actor=None, name="Bea deal", amount=Decimal("4000"), contact=bea, owner=rep_b,
        created_at=at(4, 5),
    )  # fmt: skip
    deal_close_won(actor=None, deal=won_b, note="Fit", at=at(5, 10))
    lost = deal_create(
        actor=None, name="Lost", amount=Decimal("1000"), contact=cid, owner=rep_a,
        created_at=at(4, 6),
    )  # fmt: skip
    deal_close_lost(actor=None, deal=lost, note="Price", at=at(5, 2))
    deal_create(
        actor=None, name="Open A", amount=Decimal("3000"), owner=rep_a,
        expected_close_date=date(2025, 5, 30), created_at=at(4, 8),
    )  # fmt: skip
    deal_create(
        actor=None, name="Open A undated", amount=Decimal("500"), owner=rep_a, created_at=at(4, 8)
    )
    deal_create(
        actor=None, name="Open B", amount=Decimal("2000"), owner=rep_b,
        expected_close_date=date(2025, 6, 15), created_at=at(4, 9),
    )  # fmt: skip
    Quota.objects.create(user=rep_a, period="quarter", period_start=date(2025, 4, 1), amount=6000)
    Quota.objects.create(user=rep_b, period="month", period_start=date(2025, 4, 1), amount=1000)
    Quota.objects.create(user=rep_b, period="month", period_start=date(2025, 5, 1), amount=1000)
    for day, currency, amount in ((10, "EUR", "900"), (11, "USD", "50")):
        AdSpend.objects.create(
            campaign=campaign,
            date=date(2025, 4, day),
            source=SpendSource.MANUAL,
            spend=Decimal(amount),
            currency=currency,
        )
    aggregates.touch_stats_fold()
    return campaign


def test_the_whole_company_for_an_admin(q2, admin_user):
    report = executive_dashboard(viewer=admin_user, period=Q2)

    assert report.team_only is False
    assert (report.won_revenue, report.won_deals) == (Decimal("14000.00"), 2)
    assert (report.open_pipeline, report.open_deals) == (Decimal("5000.00"), 2)
    assert report.open_without_close_date == 1
    assert report.target == Decimal("8000.00")
    assert report.attainment == Decimal("175.0")
    assert report.coverage == Decimal("237.5")
    assert report.gap == Decimal("0")
    assert (report.spend, report.spend_other_currency) == (Decimal("900.00"), 1)
    assert report.new_customers == 2
    assert report.cac == Decimal("450.00")
    assert (report.won_in_range, report.lost_in_range, report.win_rate) == (2, 1, Decimal("66.7"))
    assert [(m.label, m.won, m.lost) for m in report.win_rate_trend] == [
        ("Jan 2025", 0, 0),
        ("Feb 2025", 0, 0),
        ("Mar 2025", 0, 0),
        ("Apr 2025", 1, 0),
        ("May 2025", 1, 1),
        ("Jun 2025", 0, 0),
    ]
    assert [(r.name, r.revenue["linear"]) for r in report.top_campaigns] == [
        (HOSTILE, Decimal("10000.00"))
    ]
    assert report.touch_channels == [("", "No channel"), ("paid_search", "Paid search")]
    assert [(m.month, m.by_channel, m.total, m.identified) for m in report.touch_months] == [
        (date(2025, 4, 1), {"": 2, "paid_search": 1}, 3, 1),
        (date(2025, 5, 1), {"": 1, "paid_search": 0}, 1, 0),
        (date(2025, 6, 1), {"": 0, "paid_search": 0}, 0, 0),
    ]
    assert report.touches_pending == 0
    funnel = {step.stage: step.count for step in report.funnel}
    assert (funnel["opportunity"], funnel["customer"]) == (3, 2)


def test_a_rep_sees_their_teams_deals_and_quotas_only(q2, rep_a):
    report = executive_dashboard(viewer=rep_a, period=Q2)

    assert report.team_only is True
    assert (report.won_revenue, report.open_pipeline) == (Decimal("10000.00"), Decimal("3000.00"))
    assert report.target == Decimal("6000.00")
    assert (report.won_in_range, report.lost_in_range, report.win_rate) == (1, 1, Decimal("50.0"))
    # Company-wide figures stay the company's
    assert (report.spend, report.new_customers) == (Decimal("900.00"), 2)


def test_rep_b_does_not_see_campaign_revenue_of_team_a(q2, rep_b):
    report = executive_dashboard(viewer=rep_b, period=Q2)

    assert report.won_revenue == Decimal("4000.00")
    assert report.top_campaigns == []
    assert report.target == Decimal("2000.00")


def test_no_quota_means_no_target(q2, admin_user):
    Quota.objects.all().delete()

    report = executive_dashboard(viewer=admin_user, period=Q2)

    assert (report.target, report.attainment, report.coverage, report.gap) == (
        None,
        None,
        None,
        None,
    )


def test_an_empty_period(db, admin_user):
    report = executive_dashboard(viewer=admin_user, period=Q2)

    assert (report.won_revenue, report.open_pipeline, report.cac, report.win_rate) == (
        Decimal("0"),
        Decimal("0"),
        None,
        None,
    )
    assert report.top_campaigns == []
    assert report.touches_total == 0


# ---------------------------------------------------------------- the page


def test_page_shows_numbers_charts_and_escapes_names(client, q2, admin_user):
    client.login(username="admin", password=PASSWORD)

    response = client.get("/reports/executive/" + Q2_QUERY)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Executive dashboard" in html
    assert "€14,000" in html and "€8,000" in html and "€450" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    data = json.loads(response.context["charts"] and json.dumps(response.context["charts"]))
    assert data["target"] == {"won": 14000.0, "pipeline": 5000.0, "target": 8000.0}
    assert data["campaigns"]["data"] == [10000.0]
    assert 'id="executive-data"' in html
    assert 'id="team-only"' not in html


def test_page_says_no_target_set_and_notes_team_restriction(client, q2, rep_a):
    Quota.objects.all().delete()
    client.login(username="rep_a", password=PASSWORD)

    html = client.get("/reports/executive/" + Q2_QUERY).content.decode()

    assert "No target set" in html
    assert 'id="team-only"' in html


def test_default_period_is_this_quarter(client, admin_user):
    client.login(username="admin", password=PASSWORD)

    response = client.get("/reports/executive/")

    assert response.status_code == 200
    assert response.context["period"].preset == "quarter"


def test_bad_dates_get_a_clear_error_and_the_default_period(client, admin_user):
    client.login(username="admin", password=PASSWORD)

    response = client.get("/reports/executive/?preset=custom&start=2025-06-30&end=2025-04-01")
    missing = client.get("/reports/executive/?preset=custom&start=2025-04-01")

    assert response.status_code == 400
    assert "The start date must be on or before the end date." in response.content.decode()
    assert response.context["period"].preset == "quarter"
    assert missing.status_code == 400
    assert "Choose the last day of the period." in missing.content.decode()


def test_login_required(client, db):
    response = client.get("/reports/executive/")

    assert response.status_code == 302
    assert "/login" in response["Location"]


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_each_table_exports_to_csv_with_formulas_neutralised(client, q2, admin_user):
    client.login(username="admin", password=PASSWORD)

    def export(table):
        response = client.get(f"/reports/executive/{Q2_QUERY}&export={table}")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert f"executive-{table}-2025-04-01-2025-06-30.csv" in response["Content-Disposition"]
        return read_csv(response)

    summary = export("summary")
    assert summary[0] == ["measure", "value", "currency"]
    assert ["won_revenue", "14000.00", "EUR"] in summary
    assert ["target", "8000.00", "EUR"] in summary
    assert ["cac", "450.00", "EUR"] in summary
    assert ["win_rate_percent", "66.7", ""] in summary
    campaigns = export("campaigns")
    assert campaigns[0] == [
        "campaign", "channel", "revenue_first_touch", "revenue_last_touch", "revenue_linear",
    ]  # fmt: skip
    assert campaigns[1][0] == "'" + HOSTILE  # a spreadsheet would run it: quoted
    assert campaigns[1][2:] == ["10000.00", "10000.00", "10000.00"]
    win_rate = export("win_rate")
    assert win_rate[-2:] == [["2025-05", "1", "1", "50.0"], ["2025-06", "0", "0", ""]]
    touches = export("touches")
    assert touches == [
        ["month", "No channel", "Paid search", "total", "identified"],
        ["2025-04", "2", "1", "3", "1"],
        ["2025-05", "1", "0", "1", "0"],
        ["2025-06", "0", "0", "0", "0"],
    ]
    funnel = export("funnel")
    assert funnel[0] == ["stage", "contacts", "percent_of_previous", "percent_of_first", "moved_on"]
    assert funnel[1:] == [
        ["Lead", "3", "", "100.0", "100.0"],
        ["MQL", "3", "100.0", "100.0", "100.0"],
        ["SAL", "3", "100.0", "100.0", "100.0"],
        ["SQL", "3", "100.0", "100.0", "100.0"],
        ["Opportunity", "3", "100.0", "100.0", "66.7"],
        ["Customer", "2", "66.7", "66.7", ""],
    ]


def test_rep_export_holds_only_their_teams_deals(client, q2, rep_a):
    client.login(username="rep_a", password=PASSWORD)

    summary = read_csv(client.get(f"/reports/executive/{Q2_QUERY}&export=summary"))

    assert ["won_revenue", "10000.00", "EUR"] in summary
    assert ["target", "6000.00", "EUR"] in summary


def test_unknown_export_is_refused(client, admin_user):
    client.login(username="admin", password=PASSWORD)

    response = client.get("/reports/executive/?export=contacts")

    assert response.status_code == 400
    assert "Unknown table" in response.content.decode()
