"""The ROI report and page: spend, stage counts by first touch, attributed pipeline and revenue
under the chosen model, their ratios, the monthly spend-vs-revenue series, visibility, CSV."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from revline.analytics.roi_selectors import roi_report
from revline.campaigns.models import AdSpend, Campaign, Channel
from revline.leads.models import TransitionCause
from revline.leads.services import lifecycle_advance
from revline.people.models import Contact
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

MARCH = {"start": date(2025, 3, 1), "end": date(2025, 3, 31)}
URL = "/reports/roi/"


def at(day: int, month: int = 3) -> datetime:
    return datetime(2025, month, day, 9, tzinfo=UTC)


def touch(contact, campaign, when):
    touchpoint_record(
        kind=TouchpointKind.CLICK,
        visitor=None,
        contact=contact,
        campaign=campaign,
        occurred_at=when,
    )


def advance(contact, stage, when):
    lifecycle_advance(
        contact=contact, to_stage=stage, cause=TransitionCause.PERSON, occurred_at=when
    )


def deal(contact, owner, amount, created, won_at=None):
    d = deal_create(
        actor=None, owner=owner, name=contact.email, amount=Decimal(amount), contact=contact,
        created_at=created,
    )  # fmt: skip
    if won_at:
        deal_close_won(actor=None, deal=d, note="Fit", at=won_at)
    return d


@pytest.fixture
def history(db, rep_a, rep_b):
    """Spend in March: Search €600 (+ €100 in February), Social €300 (+ a USD row), Mail €50.
    ada: Search then Social; lead, MQL, SQL; won €900 (team A) on Mar 10.
    bob: Social; lead; deal opened Mar 15, won €100 (team B) on Mar 20.
    cy: Search; open deal €500 (team A) created Mar 12.
    dee: Search; stage MQL set without a recorded change, created Mar 3."""
    search = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    social = Campaign.objects.create(name="Social", channel=Channel.PAID_SOCIAL)
    mail = Campaign.objects.create(name="Mail", channel=Channel.EMAIL)
    for campaign, day, amount, currency in (
        (search, date(2025, 3, 5), "600", "EUR"),
        (search, date(2025, 2, 10), "100", "EUR"),
        (social, date(2025, 3, 6), "300", "EUR"),
        (social, date(2025, 3, 7), "999", "USD"),
        (mail, date(2025, 3, 8), "50", "EUR"),
    ):
        AdSpend.objects.create(
            campaign=campaign, date=day, spend=Decimal(amount), currency=currency
        )
    people = {
        n: contact_create(actor=None, email=f"{n}@example.com") for n in ("ada", "bob", "cy", "dee")
    }
    ada, bob, cy, dee = people.values()
    touch(ada, search, at(1))
    touch(ada, social, at(3))
    advance(ada, "lead", at(1))
    advance(ada, "mql", at(4))
    advance(ada, "sql", at(6))
    deal(ada, rep_a, "900", at(8), won_at=at(10))
    touch(bob, social, at(2))
    advance(bob, "lead", at(2))
    deal(bob, rep_b, "100", at(15), won_at=at(20))
    touch(cy, search, at(3))
    deal(cy, rep_a, "500", at(12))
    touch(dee, search, at(3))
    Contact.objects.filter(pk=dee.pk).update(lifecycle_stage="mql", created_at=at(3))
    return {"search": search, "social": social, "mail": mail}


def figures(row):
    f = row.figures
    return (f.spend, f.leads, f.mqls, f.sqls, f.customers, f.pipeline, f.revenue)


def ratios(row):
    r = row.ratios
    return (r.roas, r.cost_per_lead, r.cost_per_mql, r.cost_per_sql, r.cac, r.payback_months)


D = Decimal


def test_per_campaign_under_linear(history):
    report = roi_report(dimension="campaign", model="linear", **MARCH)

    rows = {r.label: r for r in report.rows}
    assert [r.label for r in report.rows] == ["Social", "Search", "Mail"]
    assert figures(rows["Search"]) == (D("600"), 3, 3, 2, 1, D("500.00"), D("450.00"))
    assert figures(rows["Social"]) == (D("300"), 1, 1, 1, 1, D("0"), D("550.00"))
    assert figures(rows["Mail"]) == (D("50"), 0, 0, 0, 0, D("0"), D("0"))
    assert ratios(rows["Search"]) == (
        D("0.75"), D("200.00"), D("200.00"), D("300.00"), D("600.00"), D("16.0"),
    )  # fmt: skip
    assert ratios(rows["Social"]) == (
        D("1.83"), D("300.00"), D("300.00"), D("300.00"), D("300.00"), D("6.5"),
    )  # fmt: skip
    # No leads and no customers: nothing to divide by, not a crash and not zero.
    assert ratios(rows["Mail"]) == (D("0.00"), None, None, None, None, None)
    assert rows["Search"].channel == "Paid search"
    assert figures(report.total) == (D("950"), 4, 4, 3, 2, D("500.00"), D("1000.00"))
    assert ratios(report.total) == (
        D("1.05"), D("237.50"), D("237.50"), D("316.67"), D("475.00"), D("11.4"),
    )  # fmt: skip
    assert report.spend_other_currency_rows == 1
    assert report.unattributed_revenue == D("0")
    assert not report.team_only


def test_the_model_changes_the_credit_not_the_counts(history):
    report = roi_report(dimension="campaign", model="first_touch", **MARCH)

    rows = {r.label: r for r in report.rows}
    assert (rows["Search"].figures.revenue, rows["Social"].figures.revenue) == (
        D("900.00"),
        D("100.00"),
    )
    assert (rows["Search"].figures.leads, rows["Search"].ratios.roas) == (3, D("1.50"))


def test_per_channel(history):
    report = roi_report(dimension="channel", model="linear", **MARCH)

    rows = {r.key: r for r in report.rows}
    assert figures(rows["paid_search"]) == (D("600"), 3, 3, 2, 1, D("500.00"), D("450.00"))
    assert figures(rows["paid_social"]) == (D("300"), 1, 1, 1, 1, D("0"), D("550.00"))
    assert figures(rows["email"]) == (D("50"), 0, 0, 0, 0, D("0"), D("0"))
    assert rows["paid_search"].label == "Paid search"


def test_monthly_spend_against_attributed_revenue(history):
    report = roi_report(
        dimension="campaign", model="linear", start=date(2025, 2, 1), end=date(2025, 3, 31)
    )

    assert [(p.month, p.spend, p.revenue) for p in report.months] == [
        (date(2025, 2, 1), D("100"), D("0")),
        (date(2025, 3, 1), D("950"), D("1000.00")),
    ]


def test_a_rep_gets_their_teams_deal_figures(history, rep_b):
    report = roi_report(dimension="campaign", model="linear", viewer=rep_b, **MARCH)

    rows = {r.label: r for r in report.rows}
    # ada's and cy's deals are team A's: no revenue, pipeline or customer for Search.
    assert figures(rows["Search"]) == (D("600"), 3, 3, 2, 0, D("0"), D("0"))
    assert figures(rows["Social"]) == (D("300"), 1, 1, 1, 1, D("0"), D("100.00"))
    assert ratios(rows["Search"])[4:] == (None, None)
    assert report.team_only


def test_unknown_dimension_is_refused(db):
    with pytest.raises(ValueError, match="Unknown dimension"):
        roi_report(dimension="creative", model="linear", **MARCH)


# --- the page -------------------------------------------------------------------------------------


def test_page_renders_numbers_chart_and_dashes(client, history, marketer):
    client.force_login(marketer)

    response = client.get(f"{URL}?start=2025-02-01&end=2025-03-31&model=linear")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="roi-chart"' in html and 'id="roi-chart-data"' in html
    assert response.context["chart"]["spend"] == [100.0, 950.0]
    assert response.context["chart"]["revenue"] == [0.0, 1000.0]
    mail = html.split(f'data-key="{history["mail"].pk}"')[1].split("</tr>")[0]
    assert '<td class="num" data-col="cac">—</td>' in mail
    assert '<td class="num" data-col="payback">—</td>' in mail
    # Search: €700 spent in February and March, €450 credited: 700 * 12 / 450 = 18.7 months.
    assert '<td class="num" data-col="payback">18.7 mo</td>' in html
    assert 'id="team-only"' not in html and 'id="other-currency"' in html


def test_page_for_a_rep_says_team_only(client, history, rep_b):
    client.force_login(rep_b)

    response = client.get(f"{URL}?start=2025-03-01&end=2025-03-31")

    assert response.status_code == 200
    assert 'id="team-only"' in response.content.decode()


def test_empty_state(client, db, marketer):
    client.force_login(marketer)

    response = client.get(f"{URL}?start=2025-03-01&end=2025-03-31")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="roi-empty"' in html
    assert "No spend and no attributed revenue in this period." in html
    assert response.context["report"].total.ratios.roas is None


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_of_the_table_and_the_months(client, history, marketer):
    client.force_login(marketer)
    query = "start=2025-03-01&end=2025-03-31&dimension=channel&model=linear"

    table = rows_of(client.get(f"{URL}?{query}&export=roi"))
    months = rows_of(client.get(f"{URL}?{query}&export=months"))

    assert table[0][:3] == ["channel", "name", "spend_EUR"]
    assert table[0][-1] == "payback_months"
    assert table[1] == [
        "paid_social", "Paid social", "300.00", "1", "1", "1", "1", "0.00", "550.00",
        "1.83", "300.00", "300.00", "300.00", "300.00", "6.5",
    ]  # fmt: skip
    assert table[3][:2] == ["email", "Email"] and table[3][-2:] == ["", ""]
    assert table[-1][:3] == ["", "Total", "950.00"]
    assert months == [
        ["month", "spend_EUR", "attributed_revenue_EUR"],
        ["2025-03", "950.00", "1000.00"],
    ]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("term_months=0", "Ensure this value is greater than or equal to 1."),
        ("term_months=abc", "Enter a whole number."),
        ("dimension=creative", "Select a valid choice."),
        ("model=best", "Select a valid choice."),
        ("start=2025-04-01&end=2025-03-01", "The start date must be on or before the end date."),
        ("start=1999-01-01&end=1999-02-01", "Enter a date between 2000 and 2100."),
    ],
)
def test_bad_filters_answer_400_with_the_reason(client, history, marketer, query, reason):
    client.force_login(marketer)

    response = client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert response.context["report"] is None


def test_bad_export_and_login(client, history, marketer):
    anonymous = client.get(URL)
    client.force_login(marketer)
    bad = client.get(f"{URL}?export=pdf")

    assert anonymous.status_code == 302
    assert bad.status_code == 400 and "Unknown export" in bad.content.decode()
