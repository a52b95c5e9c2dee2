"""The win/loss report by competitor on a hand-built set of deals: the numbers, filters, team
visibility, the page with its chart data, the CSV export and the query count."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from revline.competitors.selectors import ReportScope, win_loss_report
from revline.competitors.services import competitor_create, deal_competitor_add
from revline.core.models import DealVisibility, User
from revline.core.workspace import workspace_get
from revline.sales.models import Competitor
from revline.sales.services import deal_close_lost, deal_close_won

from .conftest import at, login, make_deal, objection, reason


@dataclass
class World:
    rival: Competitor
    other: Competitor


@pytest.fixture
def world(pipeline, admin_user, rep_a, rep_b) -> World:
    """Rivalsoft: won 1000 + 3000 (March) + 700 (January), lost 2000 (to them) + 4000, one open
    of 500. Othercorp: the 3000 win too, and 6000 lost to them by team B. A 9999 win with no
    competitor counts nowhere."""
    rival = competitor_create(actor=None, name="Rivalsoft")
    other = competitor_create(actor=None, name="Othercorp")

    def deal(name, amount, *competitors, owner=rep_a):
        d = make_deal(owner, name=name, amount=amount)
        for c in competitors:
            deal_competitor_add(actor=None, deal=d, competitor=c)
        return d

    d1 = deal("D1", "1000", rival)
    objection(admin_user, d1, "Price")
    deal_close_won(actor=None, deal=d1, reason=reason("won", "Best product fit"), at=at(3, 3))
    d2 = deal("D2", "3000", rival, other)
    objection(admin_user, d2, "Price")
    objection(admin_user, d2, "Timing")
    objection(admin_user, d2, "Price")  # the same type twice counts one deal
    deal_close_won(actor=None, deal=d2, reason=reason("won", "Relationship"), at=at(3, 10))
    d3 = deal("D3", "2000")
    objection(admin_user, d3, "Price")
    deal_close_lost(
        actor=None, deal=d3, reason=reason("lost", "Price"), lost_to=rival, at=at(3, 12)
    )
    d4 = deal("D4", "4000", rival)
    deal_close_lost(actor=None, deal=d4, reason=reason("lost", "Timing"), at=at(3, 20))
    deal("D5", "500", rival)
    d6 = deal("D6", "6000", owner=rep_b)
    deal_close_lost(actor=None, deal=d6, note="Chose them", lost_to=other, at=at(3, 21))
    d7 = deal("D7", "9999")
    deal_close_won(actor=None, deal=d7, note="No rival", at=at(3, 22))
    d8 = deal("D8", "700", rival)
    deal_close_won(actor=None, deal=d8, note="Early win", at=at(1, 15))
    return World(rival=rival, other=other)


def rows(user: User, **scope):
    return {r.name: r for r in win_loss_report(user, ReportScope(**scope)).rows}


def test_report_numbers_per_competitor(world, admin_user):
    report = win_loss_report(admin_user, ReportScope())
    rival, other = report.rows
    assert rival.name == "Rivalsoft"
    assert (rival.involved, rival.open, rival.won, rival.lost) == (6, 1, 3, 2)
    assert rival.win_rate == 60.0
    assert rival.average_won == Decimal("1566.67")  # (1000 + 3000 + 700) / 3
    assert rival.average_lost == Decimal("3000.00")  # (2000 + 4000) / 2
    assert rival.lost_to == 1
    assert [(r.label, r.count) for r in rival.reasons] == [("Price", 1), ("Timing", 1)]
    assert [(o.label, o.count) for o in rival.objections] == [("Price", 3), ("Timing", 1)]
    assert (other.name, other.won, other.lost, other.win_rate, other.lost_to) == (
        "Othercorp", 1, 1, 50.0, 1,
    )  # fmt: skip
    assert [(r.label, r.count) for r in other.reasons] == [("No reason from the list", 1)]
    overall = report.overall  # D1, D2, D3, D4, D5, D6, D8, each once; D7 had no competitor
    assert (overall.involved, overall.won, overall.lost, overall.win_rate) == (7, 3, 3, 50.0)


def test_the_period_limits_closed_deals_by_close_date(world, admin_user):
    rival = rows(admin_user, start=at(3, 1), end=at(4, 1))["Rivalsoft"]
    assert (rival.open, rival.won, rival.lost, rival.win_rate) == (1, 2, 2, 50.0)
    assert rival.average_won == Decimal("2000.00")


def test_owner_and_team_filters(world, admin_user, rep_b, team_b):
    assert set(rows(admin_user, owner=rep_b)) == {"Othercorp"}
    other = rows(admin_user, team=team_b)["Othercorp"]
    assert (other.won, other.lost, other.lost_to) == (0, 1, 1)


def test_a_rep_sees_only_the_deals_of_their_team(world, rep_a):
    assert workspace_get().deal_visibility == DealVisibility.TEAM
    other = rows(rep_a)["Othercorp"]
    # D6 belongs to team B: neither its loss nor the competitor it went to is counted.
    assert (other.won, other.lost, other.lost_to, other.win_rate) == (1, 0, 0, 100.0)


def test_the_report_runs_in_a_fixed_number_of_queries(
    world, admin_user, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        win_loss_report(admin_user, ReportScope())


def test_report_page_shows_the_numbers_and_the_chart_data(world, client, manager_a):
    response = login(client, manager_a).get("/sales/competitors/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="competitor-chart-data"' in html
    assert response.context["chart"]["labels"] == ["Rivalsoft", "Othercorp"]
    assert response.context["chart"]["rates"] == [60.0, 100.0]  # team A's view
    assert 'data-competitor="Rivalsoft"' in html


def test_report_page_refuses_a_reversed_period(world, client, admin_user):
    response = login(client, admin_user).get(
        "/sales/competitors/report/", {"date_from": "2025-03-10", "date_to": "2025-03-01"}
    )
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()


def test_csv_export_with_filters(world, client, admin_user):
    response = login(client, admin_user).get(
        "/sales/competitors/report.csv", {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    )
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert response["Content-Disposition"] == 'attachment; filename="competitor-win-loss.csv"'
    assert lines[0].startswith("competitor,deals_involved,open,won,lost,win_rate_percent")
    assert (
        lines[1]
        == "Rivalsoft,5,1,2,2,50.0,2000.00,3000.00,1,Price (1); Timing (1),Price (3); Timing (1)"
    )


def test_csv_cells_cannot_run_as_formulas(pipeline, client, admin_user):
    evil = competitor_create(actor=None, name="=HYPERLINK(1)")
    deal_competitor_add(actor=None, deal=make_deal(None), competitor=evil)
    response = login(client, admin_user).get("/sales/competitors/report.csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1].startswith("'=HYPERLINK(1),1,1,0,0,")


def test_csv_with_bad_filters_is_a_400(world, client, admin_user):
    response = login(client, admin_user).get(
        "/sales/competitors/report.csv", {"date_from": "2025-03-10", "date_to": "2025-03-01"}
    )
    assert response.status_code == 400


def test_empty_report_says_how_to_fill_it(pipeline, client, admin_user):
    html = login(client, admin_user).get("/sales/competitors/report/").content.decode()
    assert "No deals record a competitor yet." in html
