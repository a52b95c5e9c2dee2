"""The won/lost analysis page: win rates by furthest stage, rep and lead source; reasons and
competitors; filters and team visibility."""

import pytest

from revline.campaigns.models import Campaign
from revline.competitors.services import competitor_create
from revline.people.services import contact_create
from revline.sales.models import CloseReason
from revline.sales.services import (
    deal_close_lost,
    deal_close_won,
    deal_move_stage,
    pipeline_create,
)
from revline.tracking.models import Touchpoint

from ..conftest import PASSWORD
from .conftest import at, make_deal, stage

URL = "/sales/win-loss/"


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def reason(kind: str, name: str) -> CloseReason:
    return CloseReason.objects.get(kind=kind, name=name)


def moves(deal, *names, day=2):
    for offset, name in enumerate(names):
        deal_move_stage(
            actor=None, deal=deal, stage=stage(deal.pipeline, name), at=at(day + offset)
        )


@pytest.fixture
def world(db, pipeline, ada, rep_a, rep_b):
    email = Campaign.objects.create(name="Newsletter", channel="email")
    search = Campaign.objects.create(name="Search ads", channel="paid_search")
    bob = contact_create(actor=None, first_name="Bob", last_name="Byte", email="bob@example.com")
    Touchpoint.objects.create(kind="click", contact=ada, campaign=search, occurred_at=at(2))
    Touchpoint.objects.create(kind="click", contact=ada, campaign=email, occurred_at=at(1, 8))
    Touchpoint.objects.create(kind="page_view", contact=bob, occurred_at=at(1, 7))  # no campaign
    Touchpoint.objects.create(kind="click", contact=bob, campaign=search, occurred_at=at(1, 9))
    rival = competitor_create(actor=None, name="Rivalsoft")

    d1 = make_deal(rep_a, "D1", contact=ada, created_at=at(1))
    moves(d1, "Discovery", "Proposal", "Discovery")  # moved back: furthest is Proposal
    deal_close_won(actor=None, deal=d1, reason=reason("won", "Best product fit"), at=at(10))
    d2 = make_deal(rep_a, "D2", contact=ada, created_at=at(1))
    deal_close_lost(actor=None, deal=d2, reason=reason("lost", "Price"), lost_to=rival, at=at(10))
    d3 = make_deal(rep_a, "D3", contact=bob, created_at=at(1))
    moves(d3, "Discovery", "Proposal")
    deal_close_lost(
        actor=None,
        deal=d3,
        reason=reason("lost", "Went with a competitor"),
        lost_to=rival,
        at=at(10),
    )
    d4 = make_deal(rep_a, "D4", created_at=at(1))
    moves(d4, "Discovery")
    deal_close_won(actor=None, deal=d4, note="Quick yes", at=at(10))
    d5 = make_deal(rep_b, "D5", created_at=at(1))
    deal_close_won(actor=None, deal=d5, reason=reason("won", "Relationship"), at=at(20))
    make_deal(rep_a, "Still open", created_at=at(1))


def rows(rates):
    return [(r.label, r.won, r.lost, r.win_rate) for r in rates]


def test_admin_sees_all_closed_deals(client, admin_user, rep_a, rep_b, world):
    response = login(client, admin_user).get(URL)
    report = response.context["report"]
    assert response.status_code == 200
    assert (report.closed, report.won, report.lost, report.win_rate) == (5, 3, 2, 60.0)
    assert rows(report.by_stage) == [
        ("Qualification", 1, 1, 50.0),
        ("Discovery", 1, 0, 100.0),
        ("Proposal", 1, 1, 50.0),
    ]
    assert rows(report.by_owner) == [(str(rep_a), 2, 2, 50.0), (str(rep_b), 1, 0, 100.0)]
    assert rows(report.by_source) == [
        ("Email", 1, 1, 50.0),
        ("No campaign touch", 2, 0, 100.0),
        ("Paid search", 0, 1, 0.0),
    ]
    assert rows(response.context["page"].by_campaign) == [
        ("Newsletter", 1, 1, 50.0),
        ("Search ads", 0, 1, 0.0),
        ("—", 2, 0, 100.0),
    ]
    assert [(r.label, r.deals, r.share) for r in report.won_reasons] == [
        ("Best product fit", 1, 33.3),
        ("Relationship", 1, 33.3),
        ("—", 1, 33.3),
    ]
    assert [(r.label, r.deals, r.share) for r in report.lost_reasons] == [
        ("Price", 1, 50.0),
        ("Went with a competitor", 1, 50.0),
    ]
    assert [(r.label, r.deals, r.share) for r in report.competitors] == [("Rivalsoft", 2, 100.0)]
    html = response.content.decode()
    assert 'id="chart-stage"' in html
    assert 'id="win-loss-charts"' in html


def test_a_rep_with_team_visibility_sees_only_their_team(client, rep_b, world):
    report = login(client, rep_b).get(URL).context["report"]
    assert (report.closed, report.won, report.lost) == (1, 1, 0)
    assert [r.label for r in report.by_owner] == [str(rep_b)]
    assert report.competitors == []


def test_period_and_pipeline_filters(client, admin_user, world):
    client = login(client, admin_user)
    report = client.get(URL + "?date_from=2025-03-15").context["report"]
    assert (report.closed, report.won) == (1, 1)
    report = client.get(URL + "?date_from=2025-03-01&date_to=2025-03-10").context["report"]
    assert (report.closed, report.won) == (4, 2)
    renewals = pipeline_create(
        actor=None,
        name="Renewals",
        stages=[("Open", 50, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")],
    )
    report = client.get(URL + f"?pipeline={renewals.pk}").context["report"]
    assert (report.closed, report.win_rate) == (0, None)
    assert (
        "No closed deals in this selection."
        in client.get(URL + f"?pipeline={renewals.pk}").content.decode()
    )


def test_a_bad_period_is_a_400_with_the_reason(client, admin_user, world):
    response = login(client, admin_user).get(URL + "?date_from=2025-03-15&date_to=2025-03-01")
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()
    response = client.get(URL + "?date_from=yesterday")
    assert response.status_code == 400
