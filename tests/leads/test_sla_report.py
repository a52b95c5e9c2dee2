"""The SLA report: outcomes, rates, median and 90th-percentile response times in business hours,
per rep and team, weekly, and who may see which rows."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from revline.leads.handoff_services import handoffs_check_breaches, handoffs_touch
from revline.leads.models import Handoff, HandoffStatus, TransitionCause
from revline.leads.qualification_services import contact_qualify
from revline.leads.selectors import lead_settings_get
from revline.leads.sla import BusinessCalendar, business_add
from revline.leads.sla_report import (
    Outcome,
    SlaFact,
    outcome,
    percentile,
    response_seconds,
    sla_row,
    weekly,
)
from revline.leads.sla_report_selectors import breached_handoffs, sla_report_build
from revline.people.models import Contact

from ..conftest import PASSWORD

UTC_CALENDAR = BusinessCalendar(frozenset(range(5)), time(9), time(17), ZoneInfo("UTC"))
HOUR = 3600.0
# Thursday 2025-03-20 12:00 UTC; March 2025 starts on a Saturday, the 3rd is a Monday.
NOW = datetime(2025, 3, 20, 12, tzinfo=UTC)


def at(day: int, hour: float, month: int = 3) -> datetime:
    return datetime(2025, month, day, int(hour), int(hour % 1 * 60), tzinfo=UTC)


def fact(
    qualified: datetime,
    *,
    touched: datetime | None = None,
    breached: bool = False,
    escalated: bool = False,
    is_open: bool = True,
) -> SlaFact:
    due = business_add(qualified, 4, UTC_CALENDAR)
    return SlaFact(
        qualified_at=qualified,
        due_at=due,
        first_touch_at=touched,
        breached_at=due if breached else None,
        escalated=escalated,
        is_open=is_open,
    )


# --- pure computations --------------------------------------------------------------------------


def test_percentile_interpolates_between_the_closest_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert percentile([1.0, 3.0, 6.0], 0.9) == pytest.approx(5.4)
    assert percentile([10.0, 20.0], 0) == 10.0
    assert percentile([10.0, 20.0], 1) == 20.0
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_outcome_met_missed_or_pending():
    qualified = at(3, 10)  # Monday 10:00, due 14:00
    assert outcome(fact(qualified, touched=at(3, 14)), now=NOW) == Outcome.MET  # on the dot
    assert outcome(fact(qualified, touched=at(3, 14.5)), now=NOW) == Outcome.MISSED
    assert outcome(fact(qualified), now=at(3, 13)) == Outcome.PENDING
    # Untouched at the deadline counts as missed even before the breach job flagged it.
    assert outcome(fact(qualified), now=at(3, 14)) == Outcome.MISSED
    # A flag wins over a touch time.
    assert outcome(fact(qualified, touched=at(3, 11), breached=True), now=NOW) == Outcome.MISSED


def test_response_time_counts_business_hours_only_across_a_weekend():
    friday_4pm = at(7, 16)
    monday_10am = at(10, 10)
    assert response_seconds(fact(friday_4pm, touched=monday_10am), UTC_CALENDAR) == 2 * HOUR
    assert response_seconds(fact(friday_4pm), UTC_CALENDAR) is None
    # Qualified on Saturday, touched Monday 09:30: the clock started Monday at nine.
    assert response_seconds(fact(at(8, 11), touched=at(10, 9.5)), UTC_CALENDAR) == 0.5 * HOUR
    # The same in Berlin (UTC+1 in March): Friday 16:00 UTC is 17:00 local, after closing.
    berlin = BusinessCalendar(frozenset(range(5)), time(9), time(17), ZoneInfo("Europe/Berlin"))
    assert response_seconds(fact(friday_4pm, touched=monday_10am), berlin) == 2 * HOUR


def test_a_row_counts_each_figure_and_its_rates():
    facts = [
        fact(at(3, 10), touched=at(3, 11), is_open=False),  # 1 h, met
        fact(at(3, 15), touched=at(4, 10)),  # 3 h, met
        fact(at(7, 15), touched=at(10, 13), breached=True, escalated=True),  # 6 h, late
        fact(at(11, 9), breached=True, escalated=True),  # open and overdue
        fact(at(20, 11)),  # not due yet
    ]
    row = sla_row(facts, key="rep-1", label="Rep", now=NOW, calendar=UTC_CALENDAR)

    assert (row.received, row.met, row.missed, row.pending) == (5, 2, 2, 1)
    assert (row.breached, row.overdue, row.escalated, row.touched) == (2, 1, 2, 3)
    assert row.met_rate == 50.0
    assert row.median_seconds == 3 * HOUR
    assert row.p90_seconds == pytest.approx(5.4 * HOUR)
    assert (row.median_text, row.p90_text) == ("3 h", "5 h 24 min")


def test_an_empty_row_has_no_rate_and_no_times():
    row = sla_row([], key="total", label="Total", now=NOW, calendar=UTC_CALENDAR)
    assert (row.received, row.met_rate, row.median_seconds, row.p90_text) == (0, None, None, "—")


def test_weekly_buckets_start_on_monday_and_keep_empty_weeks():
    facts = [
        fact(at(3, 10), touched=at(3, 11)),
        fact(at(9, 12), touched=at(10, 15)),  # qualified Sunday: still the week of the 3rd
        fact(at(18, 9)),
    ]
    weeks = weekly(facts, first=date(2025, 3, 1), last=date(2025, 3, 20), tz=UTC, now=NOW)

    assert [(w.start, w.received, w.met, w.missed, w.met_rate) for w in weeks] == [
        (date(2025, 2, 24), 0, 0, 0, None),
        (date(2025, 3, 3), 2, 1, 1, 50.0),
        (date(2025, 3, 10), 0, 0, 0, None),
        (date(2025, 3, 17), 1, 0, 1, 0.0),
    ]


# --- selectors on a built history ---------------------------------------------------------------


@pytest.fixture
def calendar_utc(db):
    settings = lead_settings_get()
    settings.business_timezone = "UTC"
    settings.sla_hours = 4
    settings.save()
    return settings


def make_handoff(
    name: str,
    rep,
    qualified: datetime,
    *,
    touched: datetime | None = None,
    breached: bool = False,
    escalated_to=None,
    status: str = HandoffStatus.OPEN,
) -> Handoff:
    due = business_add(qualified, 4, UTC_CALENDAR)
    return Handoff.objects.create(
        contact=Contact.objects.create(first_name=name, last_name="Test", lifecycle_stage="mql"),
        status=status,
        qualified_at=qualified,
        qualified_by=TransitionCause.RULE,
        qualification_reason="Score over the threshold",
        assigned_to=rep,
        due_at=due,
        first_touch_at=touched,
        breached_at=due if breached else None,
        escalated_to=escalated_to,
    )


@pytest.fixture
def history(calendar_utc, rep_a, rep_b, manager_a):
    """Team A: rep_a has two in time, one touched late over a weekend, one still untouched and
    one not due yet; manager_a answered one. Team B: rep_b one in time. One nobody got."""
    accepted = HandoffStatus.ACCEPTED
    made = {
        "h1": make_handoff("One", rep_a, at(3, 10), touched=at(3, 11), status=accepted),
        "h2": make_handoff("Two", rep_a, at(3, 15), touched=at(4, 10)),
        "h3": make_handoff(
            "Three",
            rep_a,
            at(7, 15),
            touched=at(10, 13),
            breached=True,
            escalated_to=manager_a,
            status=accepted,
        ),
        "h4": make_handoff("Four", rep_a, at(11, 9), breached=True, escalated_to=manager_a),
        "h5": make_handoff("Five", manager_a, at(12, 9), touched=at(12, 9.5)),
        "h6": make_handoff("Six", rep_b, at(13, 10), touched=at(13, 12)),
        "h7": make_handoff("Seven", None, at(13, 10)),
        "h8": make_handoff("Eight", rep_a, at(20, 11)),
        # Before the period of most tests: February 10th.
        "h9": make_handoff("Nine", rep_a, at(10, 10, month=2), touched=at(10, 10.5, month=2)),
    }
    return made


def figures(row):
    return (
        row.received,
        row.met,
        row.breached,
        row.overdue,
        row.escalated,
        row.met_rate,
        row.median_seconds,
        row.p90_seconds,
    )


MARCH = {"first": date(2025, 3, 1), "last": date(2025, 3, 20)}


def test_admin_report_per_rep_and_team_with_totals(history, admin_user, rep_a, rep_b, manager_a):
    report = sla_report_build(user=admin_user, now=NOW, **MARCH)

    assert report.scope == "all" and report.sla_hours == 4
    assert [(g.key, g.label) for g in report.groups] == [
        (f"team-{rep_a.team_id}", "Team A"),
        (f"team-{rep_b.team_id}", "Team B"),
        ("team-none", "No team"),
    ]
    team_a, team_b, no_team = report.groups
    assert [(r.key, r.label) for r in team_a.rows] == [
        (f"rep-{manager_a.pk}", "Manager_A"),
        (f"rep-{rep_a.pk}", "Rep_A"),
    ]
    manager_row, rep_a_row = team_a.rows
    assert figures(rep_a_row) == (5, 2, 2, 1, 2, 50.0, 3 * HOUR, pytest.approx(5.4 * HOUR))
    assert figures(manager_row) == (1, 1, 0, 0, 0, 100.0, 0.5 * HOUR, 0.5 * HOUR)
    assert team_a.total.label == "Team A total"
    assert figures(team_a.total) == (6, 3, 2, 1, 2, 60.0, 2 * HOUR, pytest.approx(5.1 * HOUR))
    assert figures(team_b.total) == (1, 1, 0, 0, 0, 100.0, 2 * HOUR, 2 * HOUR)
    assert [(r.key, r.label) for r in no_team.rows] == [("unassigned", "Unassigned")]
    # Untouched past its deadline: missed and overdue, though the breach job has not flagged it.
    assert figures(no_team.rows[0]) == (1, 0, 0, 1, 0, 0.0, None, None)
    total = report.total
    assert figures(total) == (8, 4, 2, 2, 2, 57.1, 2 * HOUR, pytest.approx(4.8 * HOUR))
    assert (total.missed, total.pending) == (3, 1)


def test_weekly_trend_of_the_period(history, admin_user):
    report = sla_report_build(user=admin_user, now=NOW, **MARCH)

    assert [(w.start, w.received, w.met, w.missed, w.met_rate) for w in report.weeks] == [
        (date(2025, 2, 24), 0, 0, 0, None),
        (date(2025, 3, 3), 3, 2, 1, 66.7),
        (date(2025, 3, 10), 4, 2, 2, 50.0),
        (date(2025, 3, 17), 1, 0, 0, None),
    ]


def test_the_period_filters_on_qualification_day(history, admin_user):
    later = sla_report_build(
        user=admin_user, first=date(2025, 3, 10), last=date(2025, 3, 13), now=NOW
    )
    assert later.total.received == 4  # h4 to h7
    february = sla_report_build(
        user=admin_user, first=date(2025, 2, 1), last=date(2025, 2, 28), now=NOW
    )
    assert figures(february.total) == (1, 1, 0, 0, 0, 100.0, 0.5 * HOUR, 0.5 * HOUR)


def test_a_rep_sees_only_their_own_row(history, rep_b):
    report = sla_report_build(user=rep_b, now=NOW, **MARCH)

    assert report.scope == "own"
    assert [g.label for g in report.groups] == ["Team B"]
    assert [r.label for r in report.groups[0].rows] == ["Rep_B"]
    assert report.total.received == 1
    page, rows = breached_handoffs(user=rep_b, now=NOW, **MARCH)
    assert page.paginator.count == 0 and rows == []


def test_a_manager_sees_their_team_and_unassigned_hand_offs(history, manager_a):
    report = sla_report_build(user=manager_a, now=NOW, **MARCH)

    assert report.scope == "team"
    assert [g.label for g in report.groups] == ["Team A", "No team"]
    assert report.total.received == 7


def test_breached_list_latest_deadline_first_with_business_time_late(history, admin_user):
    _page, rows = breached_handoffs(user=admin_user, now=NOW, **MARCH)

    assert [r.handoff for r in rows] == [history["h4"], history["h3"]]
    # h4: due Tue 11th 13:00, still untouched on Thu 20th 12:00 = 4 + 6 * 8 + 3 business hours.
    assert rows[0].late == "2 d 7 h"
    assert rows[1].late == "2 h"  # h3: due Monday 11:00, touched 13:00
    assert rows[1].handoff.escalated_to.username == "manager_a"


def test_the_report_follows_the_real_breach_job_and_first_touch(calendar_utc, rep_a, manager_a):
    """Given a lead qualified on Friday 15:00 (due Monday 11:00), flagged by the breach job on
    Monday and touched at 13:00, the report counts one breach escalated to the manager and a
    six-business-hour response."""
    contact = Contact.objects.create(first_name="Ada", last_name="Lovelace", lifecycle_stage="lead")
    handoff = contact_qualify(
        contact=contact,
        cause=TransitionCause.PERSON,
        reason="Asked for pricing",
        now=at(7, 15),
        assignee=rep_a,
    )
    assert handoff is not None and handoff.due_at == at(10, 11)
    assert handoffs_check_breaches(at(10, 11.5), email=False) == 1
    assert handoffs_touch(contact=contact, actor=rep_a, at=at(10, 13)) == 1

    report = sla_report_build(user=manager_a, now=NOW, **MARCH)

    assert figures(report.total) == (1, 0, 1, 0, 1, 0.0, 6 * HOUR, 6 * HOUR)
    assert report.groups[0].rows[0].label == "Rep_A"


# --- the page -----------------------------------------------------------------------------------


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


URL = "/leads/reports/sla/"


def test_the_url_name():
    assert reverse("leads:sla_report") == URL


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_the_default_last_90_days(client, history, admin_user):
    response = login(client, admin_user).get(URL)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.first, report.last) == (date(2024, 12, 21), date(2025, 3, 20))
    assert report.total.received == 9  # February's hand-off is inside the 90 days
    body = response.content.decode()
    assert 'id="trend-chart"' in body and 'id="sla-data"' in body
    assert f'href="/leads/handoffs/{history["h4"].pk}/"' in body
    assert "Team A total" in body and "Rep_B" in body


@time_machine.travel(NOW, tick=False)
def test_the_page_filters_by_period(client, history, admin_user):
    response = login(client, admin_user).get(URL, {"first": "2025-03-01", "last": "2025-03-20"})

    assert response.status_code == 200
    assert response.context["report"].total.received == 8
    assert response.context["chart"]["rate"] == [None, 66.7, 50.0, None]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"first": "yesterday"}, "Enter a valid date."),
        (
            {"first": "2025-03-20", "last": "2025-03-01"},
            "The start date must be on or before the end date.",
        ),
        ({"first": "2010-01-01", "last": "2025-03-01"}, "Pick a range of at most five years."),
    ],
)
def test_bad_filters_answer_400_with_the_reason_and_the_default_period(
    client, history, admin_user, query, reason
):
    response = login(client, admin_user).get(URL, query)

    assert response.status_code == 400
    assert reason in response.content.decode()
    report = response.context["report"]
    assert (report.first, report.last) == (date(2024, 12, 21), date(2025, 3, 20))


@time_machine.travel(NOW, tick=False)
def test_rep_b_does_not_see_team_a(client, history, rep_b):
    response = login(client, rep_b).get(URL, MARCH)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Rep_A" not in body and "Team A" not in body and "Unassigned" not in body
    assert "your hand-offs only" in body
    assert "Team B total" not in body  # a rep's own row needs no team total
    assert [g.label for g in response.context["report"].groups] == ["Team B"]


@time_machine.travel(NOW, tick=False)
def test_the_page_renders_empty(client, calendar_utc, marketer):
    response = login(client, marketer).get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert "No MQL was handed to sales in this period." in body
    assert "No hand-offs in this period." in body
    assert "No hand-off missed its SLA in this period." in body
    assert 'id="trend-chart"' not in body


@time_machine.travel(NOW, tick=False)
def test_breached_list_is_paginated(client, calendar_utc, admin_user, rep_a):
    for i in range(26):
        make_handoff(f"Late{i}", rep_a, at(3, 9 + i % 8), breached=True)

    login(client, admin_user)
    first_page = client.get(URL, {**MARCH, "page": "1"})
    second_page = client.get(URL, {**MARCH, "page": "2"})

    assert len(first_page.context["breached"]) == 25
    assert len(second_page.context["breached"]) == 1
    assert "Page 1 of 2" in first_page.content.decode()


def test_anonymous_users_are_sent_to_log_in(client, history):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


@time_machine.travel(NOW, tick=False)
def test_the_queue_and_the_lead_quality_report_link_to_it(client, calendar_utc, rep_a, marketer):
    assert URL in login(client, rep_a).get(reverse("leads:queue")).content.decode()
    assert URL in login(client, marketer).get(reverse("leads:lead_quality")).content.decode()
