"""The lead-quality and conversion reports on a small, known history."""

from datetime import UTC, date, datetime, timedelta

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.content.models import ContentItem
from revline.leads.models import Handoff, LifecycleTransition, TransitionCause
from revline.leads.report_selectors import (
    conversion_report,
    lead_quality_report,
    recycled_leads,
)
from revline.people.models import Contact

from ..conftest import PASSWORD


def at(month: int, day: int, hour: int = 9, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def contact(name: str, created: datetime, stage: str = "subscriber") -> Contact:
    person = Contact.objects.create(first_name=name, last_name="Test", lifecycle_stage=stage)
    Contact.objects.filter(pk=person.pk).update(created_at=created)
    return person


def move(person: Contact, from_stage: str, to_stage: str, when: datetime) -> None:
    LifecycleTransition.objects.create(
        contact=person,
        from_stage=from_stage,
        to_stage=to_stage,
        occurred_at=when,
        cause=TransitionCause.RULE,
    )


@pytest.fixture
def history(db):
    """A stood in each stage; B came back from recycled; C was created before the range and
    jumped from lead to SQL."""
    a = contact("A", at(1, 5))
    move(a, "subscriber", "lead", at(1, 10))
    move(a, "lead", "mql", at(1, 20))
    move(a, "mql", "sal", at(2, 4))
    move(a, "sal", "sql", at(2, 10))
    move(a, "sql", "opportunity", at(3, 1))
    b = contact("B", at(1, 8), stage="lead")
    move(b, "lead", "mql", at(2, 1))
    move(b, "mql", "recycled", at(2, 10))
    move(b, "recycled", "mql", at(3, 3))
    c = contact("C", at(12, 1, year=2024), stage="lead")
    move(c, "lead", "sql", at(1, 15))
    move(c, "sql", "opportunity", at(1, 25))
    move(c, "opportunity", "customer", at(3, 10))
    return a, b, c


def test_conversion_counts_per_month_in_sql(history):
    report = conversion_report(first=date(2025, 1, 1), last=date(2025, 3, 31), interval="month")

    assert [p.label for p in report.periods] == ["Jan 2025", "Feb 2025", "Mar 2025"]
    # stages: subscriber, lead, MQL, SAL, SQL, opportunity, customer, evangelist
    assert [p.counts for p in report.periods] == [
        [2, 2, 2, 1, 1, 1, 0, 0],  # A and B created; A to lead and MQL; C lead → SQL, opportunity
        [0, 0, 1, 1, 1, 0, 0, 0],  # B to MQL; A to SAL and SQL
        [0, 0, 1, 0, 0, 1, 1, 0],  # B back to MQL; A opportunity; C customer
    ]
    assert report.totals == [2, 2, 4, 2, 2, 2, 1, 0]


def test_conversion_by_quarter_counts_a_contact_once_per_stage(history):
    report = conversion_report(first=date(2025, 1, 1), last=date(2025, 3, 31), interval="quarter")

    assert [(p.label, p.counts) for p in report.periods] == [("Q1 2025", [2, 2, 3, 2, 2, 2, 1, 0])]


def test_conversion_summary_rates_and_median_times(history):
    report = conversion_report(first=date(2025, 1, 1), last=date(2025, 3, 31))

    rows = {r.stage: r for r in report.summary}
    assert [(s, rows[s].reached, rows[s].converted, rows[s].conversion_rate) for s in rows] == [
        ("subscriber", 2, 2, 100.0),
        ("lead", 2, 2, 100.0),
        ("mql", 3, 2, 66.7),
        ("sal", 2, 2, 100.0),
        ("sql", 2, 2, 100.0),
        ("opportunity", 2, 1, 50.0),
        ("customer", 1, 0, 0.0),
        ("evangelist", 0, 0, None),
    ]
    assert rows["subscriber"].median_time_in_stage == timedelta(days=5)  # B skipped it
    assert rows["lead"].median_time_in_stage == timedelta(days=17)  # A 10, B 24
    assert rows["mql"].median_time_in_stage == timedelta(days=15)  # A only: C skipped MQL
    assert rows["sal"].median_time_in_stage == timedelta(days=6)
    assert rows["sql"].median_time_in_stage == timedelta(days=14.5)  # A 19, C 10
    assert rows["opportunity"].median_time_in_stage == timedelta(days=44)
    assert rows["customer"].median_time_in_stage is None


def test_conversion_period_filter_keeps_moves_outside_the_range_out(history):
    report = conversion_report(first=date(2025, 2, 1), last=date(2025, 2, 28))

    assert report.totals == [0, 0, 1, 1, 1, 0, 0, 0]
    rows = {r.stage: r for r in report.summary}
    # B first reached MQL on Feb 1; its return on Mar 3 is not a first arrival.
    assert (rows["mql"].reached, rows["mql"].converted) == (1, 0)
    assert (rows["sal"].reached, rows["sal"].converted) == (1, 1)


@pytest.fixture
def handoffs(history):
    a, b, c = history
    alpha = Campaign.objects.create(name="Alpha", channel=Channel.EMAIL)
    beta = Campaign.objects.create(name="Beta", channel=Channel.PAID_SEARCH)
    guide = ContentItem.objects.create(title="Pricing guide", kind="whitepaper")
    d = contact("D", at(1, 2))
    old = contact("Old", at(11, 1, year=2024))

    def handoff(person, qualified, status, campaign=None, decided=None, **kw) -> Handoff:
        return Handoff.objects.create(
            contact=person,
            status=status,
            qualified_at=qualified,
            qualified_by=TransitionCause.SCORE,
            qualification_reason="Score over the threshold",
            campaign=campaign,
            channel=campaign.channel if campaign else "",
            due_at=qualified + timedelta(hours=4),
            decided_at=decided,
            **kw,
        )

    handoff(a, at(1, 20), "accepted", beta, at(1, 21), content_item=guide)
    handoff(b, at(2, 1), "rejected", beta, at(2, 10), reject_reason="no_budget",
            reject_note="Budget frozen until Q3")  # fmt: skip
    handoff(c, at(1, 15), "accepted", alpha, at(1, 15, 11))
    handoff(b, at(3, 3), "open", alpha)
    handoff(d, at(1, 30), "rejected", None, at(2, 2), reject_reason="not_a_fit")
    handoff(old, at(12, 20, year=2024), "rejected", beta, at(12, 21, year=2024),
            reject_reason="duplicate")  # fmt: skip
    return alpha, beta, guide


def test_lead_quality_per_campaign(handoffs):
    report = lead_quality_report(first=date(2025, 1, 1), last=date(2025, 3, 31))

    assert [(r.label, r.mqls, r.accepted, r.rejected, r.open) for r in report.rows] == [
        ("Alpha", 2, 1, 0, 1),
        ("Beta", 2, 1, 1, 0),
        ("No campaign", 1, 0, 1, 0),
    ]
    alpha, beta, none = report.rows
    assert [r.acceptance_rate for r in report.rows] == [100.0, 50.0, 0.0]
    assert dict(beta.reasons) == {"no_budget": 1}
    assert dict(none.reasons) == {"not_a_fit": 1}
    # A (Beta) became an opportunity on Mar 1; C (Alpha) on Jan 25 and a customer on Mar 10.
    assert (beta.opportunities, beta.customers) == (1, 0)
    assert beta.median_to_opportunity == timedelta(days=40)
    assert (alpha.opportunities, alpha.customers) == (1, 1)
    assert alpha.median_to_opportunity == timedelta(days=10)
    assert alpha.median_to_customer == timedelta(days=54)
    assert beta.median_to_decision == timedelta(days=5)
    total = report.total
    assert (total.mqls, total.accepted, total.rejected, total.open) == (5, 2, 2, 1)
    assert total.median_to_decision == timedelta(days=2)
    assert total.acceptance_rate == 50.0


def test_lead_quality_per_channel_and_per_content(handoffs):
    by_channel = lead_quality_report(
        first=date(2025, 1, 1), last=date(2025, 3, 31), group_by="channel"
    )
    by_content = lead_quality_report(
        first=date(2025, 1, 1), last=date(2025, 3, 31), group_by="content"
    )

    assert [(r.label, r.mqls) for r in by_channel.rows] == [
        ("Email", 2),
        ("Paid search", 2),
        ("No channel", 1),
    ]
    assert [(r.label, r.mqls, r.opportunities) for r in by_content.rows] == [
        ("No content item", 4, 1),
        ("Pricing guide", 1, 1),
    ]


def test_lead_quality_period_filter_uses_the_qualification_day(handoffs):
    report = lead_quality_report(first=date(2024, 12, 1), last=date(2024, 12, 31))

    assert [(r.label, r.mqls, dict(r.reasons)) for r in report.rows] == [
        ("Beta", 1, {"duplicate": 1})
    ]


def test_recycled_leads_list_rejections_with_reason_and_note(handoffs):
    page = recycled_leads(first=date(2025, 1, 1), last=date(2025, 3, 31))
    filtered = recycled_leads(first=date(2025, 1, 1), last=date(2025, 3, 31), reason="not_a_fit")

    assert [(h.contact.first_name, h.reject_reason, h.reject_note) for h in page] == [
        ("B", "no_budget", "Budget frozen until Q3"),
        ("D", "not_a_fit", ""),
    ]
    assert [h.contact.first_name for h in filtered] == ["D"]


# --- Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/leads/reports/lead-quality/", "/leads/reports/conversion/"])
def test_reports_require_login(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login")


@pytest.mark.parametrize("who", ["marketer", "rep_a", "manager_a", "admin_user"])
def test_everyone_signed_in_sees_both_reports(client, handoffs, who, request):
    user = request.getfixturevalue(who)
    client.login(username=user.username, password=PASSWORD)

    quality = client.get("/leads/reports/lead-quality/?first=2025-01-01&last=2025-03-31")
    conversion = client.get("/leads/reports/conversion/?first=2025-01-01&last=2025-03-31")

    assert (quality.status_code, conversion.status_code) == (200, 200)


def test_lead_quality_page_shows_numbers_reasons_and_recycled_leads(client, marketer, handoffs):
    client.login(username="marketer", password=PASSWORD)

    html = client.get(
        "/leads/reports/lead-quality/?first=2025-01-01&last=2025-03-31"
    ).content.decode()

    assert '<tr data-group="' in html
    assert '<th class="num" data-reason="no_budget">No budget</th>' in html
    assert '<td class="num" data-reason="not_a_fit">1</td>' in html
    assert '<th class="num" data-reason="duplicate">' not in html  # no rejection for it
    assert "Budget frozen until Q3" in html
    assert 'id="quality-data"' in html
    assert '<a href="?first=2025-01-01&amp;last=2025-03-31&amp;by=channel"' in html
    assert "50.0%" in html


def test_lead_quality_page_groups_by_channel(client, marketer, handoffs):
    client.login(username="marketer", password=PASSWORD)

    html = client.get(
        "/leads/reports/lead-quality/?first=2025-01-01&last=2025-03-31&by=channel"
    ).content.decode()

    assert '<tr data-group="paid_search">' in html
    assert "<td>Paid search</td>" in html


def test_bad_filters_are_a_400_with_the_reason_and_fall_back_to_defaults(client, marketer, db):
    client.login(username="marketer", password=PASSWORD)

    reversed_range = client.get("/leads/reports/conversion/?first=2025-03-01&last=2025-01-01")
    bad_date = client.get("/leads/reports/lead-quality/?first=yesterday&by=nonsense")

    assert reversed_range.status_code == 400
    assert "The start date must be on or before the end date." in reversed_range.content.decode()
    assert bad_date.status_code == 400
    assert "Enter a valid date." in bad_date.content.decode()


def test_conversion_page_shows_the_stage_table_and_period_table(client, marketer, history):
    client.login(username="marketer", password=PASSWORD)

    html = client.get(
        "/leads/reports/conversion/?first=2025-01-01&last=2025-03-31&interval=quarter"
    ).content.decode()

    assert '<tr data-period="2025-01-01"><td>Q1 2025</td>' in html
    assert '<tr data-stage="mql"><td>MQL</td>' in html
    assert "66.7%" in html
    assert "15 days" in html
    assert 'id="conversion-data"' in html
