"""Campaign figures and deal visibility: under the default team visibility a sales rep or
manager counts only the deals they may see (their own, their team's, unowned ones) in pipeline,
won revenue, ROAS, new customers and CAC, and the page says so; admins and marketers see the
whole company's figures.

The "Launch" campaign (conftest.build_launch) with its deals given owners: Ben's won €6,000 and
Fay's open €4,000 are rep_a's (team A), Eve's won €9,000 is rep_b's (team B). Cost €500.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from revline.campaigns import creative_selectors, selectors
from revline.core.models import DealVisibility
from revline.core.services import api_token_issue
from revline.core.workspace import workspace_get
from revline.sales.booking_selectors import bookable_slots
from revline.sales.booking_services import Booker, meeting_book
from revline.sales.models import Deal
from revline.sales.services import deal_close_won, deal_create

from ..api.conftest import ApiClient
from ..quotes.cta_fixtures import booking_creative, every_day, make_campaign
from .conftest import T0, build_launch

TEAM_NOTE = 'id="team-only"'


@pytest.fixture
def owned_launch(marketer, rep_a, rep_b):
    launch = build_launch(owner=marketer)
    Deal.objects.filter(name__in=("Ben deal", "Fay deal")).update(owner=rep_a)
    Deal.objects.filter(name="Eve deal").update(owner=rep_b)
    return launch


def _set_visibility(value: str) -> None:
    workspace = workspace_get()
    workspace.deal_visibility = value
    workspace.save()


def _figures(m: selectors.CampaignMetrics) -> tuple:
    f, d = m.figures, m.derived
    return (f.pipeline, f.won_revenue, m.won_deals, d.roas, f.new_customers, d.cac, m.team_only)


COMPANY = (
    Decimal("10000.00"),
    Decimal("15000.00"),
    2,
    Decimal("30.00"),
    2,
    Decimal("250.00"),
    False,
)
TEAM_A = (Decimal("10000.00"), Decimal("6000.00"), 1, Decimal("12.00"), 1, Decimal("500.00"), True)
TEAM_B = (Decimal("0.00"), Decimal("9000.00"), 1, Decimal("18.00"), 1, Decimal("500.00"), True)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin_user", COMPANY),
        ("marketer", COMPANY),
        ("rep_a", TEAM_A),
        ("manager_a", TEAM_A),
        ("rep_b", TEAM_B),
    ],
)
def test_deal_figures_count_only_the_deals_the_viewer_may_see(
    request, owned_launch, manager_a, admin_user, who, expected
):
    # Given the launch campaign with deals of team A and team B, under team visibility
    viewer = request.getfixturevalue(who)

    # When the viewer's metrics are computed
    metrics = selectors.campaign_metrics(owned_launch.campaign, viewer=viewer)

    # Then the deal figures are theirs; the marketing figures stay the company's
    assert _figures(metrics) == expected
    assert (metrics.figures.cost, metrics.leads, metrics.figures.mqls) == (
        Decimal("500.00"),
        4,
        5,
    )
    assert [g.actual for g in metrics.goals][3:] == [expected[0], expected[1]]


def test_no_viewer_means_the_whole_company(owned_launch):
    assert _figures(selectors.campaign_metrics(owned_launch.campaign)) == COMPANY


def test_all_visibility_shows_a_rep_the_whole_company(owned_launch, rep_b):
    # Given a workspace where everyone sees every deal
    _set_visibility(DealVisibility.ALL)

    # When rep_b's metrics are computed, then they are the company's, with no team note
    assert _figures(selectors.campaign_metrics(owned_launch.campaign, viewer=rep_b)) == COMPANY


def test_the_list_annotates_each_viewers_figures(owned_launch, rep_a, rep_b, marketer):
    def row(viewer):
        campaign = selectors.campaigns_with_metrics(viewer=viewer).get(pk=owned_launch.campaign.pk)
        ratios = selectors.list_ratios([campaign])[campaign.pk]
        return (campaign.pipeline, campaign.won_revenue, ratios.roas)

    assert row(marketer) == (Decimal("10000.00"), Decimal("15000.00"), Decimal("30.00"))
    assert row(rep_a) == (Decimal("10000.00"), Decimal("6000.00"), Decimal("12.00"))
    assert row(rep_b) == (Decimal("0.00"), Decimal("9000.00"), Decimal("18.00"))


def test_a_customer_first_won_by_another_team_is_not_new_to_this_one(owned_launch, rep_a, rep_b):
    # Given Eve's first deal (team B) won, and a later won deal of hers owned by rep_a
    eve = owned_launch.contacts["Eve"]
    later = deal_create(
        actor=None,
        name="Eve upsell",
        amount=Decimal("1000"),
        contact=eve,
        owner=rep_a,
        created_at=T0 + timedelta(days=4),
    )
    deal_close_won(actor=None, deal=later, note="More", at=T0 + timedelta(days=9))

    # Then she is no new customer of team A (its only new customer stays Ben), but of team B
    campaign = owned_launch.campaign
    assert selectors.campaign_metrics(campaign, viewer=rep_a).figures.new_customers == 1
    assert selectors.campaign_metrics(campaign, viewer=rep_b).figures.new_customers == 1
    assert selectors.campaign_metrics(campaign).figures.new_customers == 2


# ---------------------------------------------------------------- pages


def _page(user, path: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_rep_b_sees_team_bs_figures_and_the_note_on_the_detail_page(owned_launch, rep_b):
    html = _page(rep_b, f"/campaigns/{owned_launch.campaign.pk}/")

    assert TEAM_NOTE in html
    assert "count only your own and your team's deals" in html
    pipeline = html.split('data-metric="pipeline"')[1].split("</div></div>")[0]
    won = html.split('data-metric="won_revenue"')[1].split("</div></div>")[0]
    assert '<div class="value">€0</div>' in pipeline
    assert '<div class="value">€9,000</div>' in won
    assert "1 won deal" in won
    assert '<div class="value">18.00×</div>' in html.split('data-metric="roas"')[1][:120]


def test_the_marketer_sees_the_company_and_no_note(owned_launch, marketer):
    html = _page(marketer, f"/campaigns/{owned_launch.campaign.pk}/")

    assert TEAM_NOTE not in html
    won = html.split('data-metric="won_revenue"')[1].split("</div></div>")[0]
    assert '<div class="value">€15,000</div>' in won


def test_the_list_page_shows_each_viewer_their_figures_and_the_note(
    owned_launch, rep_a, admin_user
):
    rep_html = _page(rep_a, "/campaigns/")
    admin_html = _page(admin_user, "/campaigns/")

    assert TEAM_NOTE in rep_html
    assert '<td class="num" data-col="won">€6,000</td>' in rep_html
    assert '<td class="num" data-col="roas">12.00×</td>' in rep_html
    assert TEAM_NOTE not in admin_html
    assert '<td class="num" data-col="won">€15,000</td>' in admin_html
    assert '<td class="num" data-col="roas">30.00×</td>' in admin_html


# ---------------------------------------------------------------- creatives


@pytest.fixture
def booked_and_won(rep_a):
    """A booking creative of rep_a's whose booking opened a deal (rep_a's) won at €800."""
    campaign = make_campaign()
    every_day(rep_a)
    creative = booking_creative(campaign, rep_a)
    result = meeting_book(
        creative=creative,
        starts_at=bookable_slots(rep_a)[0].starts_at,
        booker=Booker(email="ada@example.com", first_name="Ada"),
        visitor_id=None,
    )
    deal = result.meeting.deal
    Deal.objects.filter(pk=deal.pk).update(amount=Decimal("800"))
    deal.refresh_from_db()
    deal_close_won(actor=None, deal=deal, note="Fit")
    return creative


def test_creative_revenue_counts_only_visible_won_deals(booked_and_won, rep_a, rep_b, marketer):
    def revenue(viewer):
        rows = creative_selectors.creatives_for_campaign(
            campaign=booked_and_won.campaign, viewer=viewer
        )
        return [row.revenue for row in rows]

    assert revenue(marketer) == [Decimal("800.00")]
    assert revenue(rep_a) == [Decimal("800.00")]
    assert revenue(rep_b) == [Decimal("0")]


def test_rep_b_sees_neither_the_revenue_nor_a_link_to_the_deal(booked_and_won, rep_b, rep_a):
    deal = Deal.objects.get()
    path = f"/campaigns/creatives/{booked_and_won.pk}/"

    other = _page(rep_b, path)
    mine = _page(rep_a, path)

    assert TEAM_NOTE in other
    assert f"/sales/deals/{deal.pk}/" not in other
    assert "another team's deal" in other
    assert '<div class="value">€0</div>' in other.split('data-metric="revenue"')[1][:120]
    assert f"/sales/deals/{deal.pk}/" in mine
    assert '<div class="value">€800</div>' in mine.split('data-metric="revenue"')[1][:120]


# ---------------------------------------------------------------- API


def _api_metrics(user, campaign_id: int) -> dict:
    response = ApiClient(api_token_issue(user=user, name="tests").raw).get(
        f"/campaigns/{campaign_id}"
    )
    assert response.status_code == 200
    return response.json()["metrics"]


@pytest.mark.parametrize(
    ("who", "pipeline", "won", "won_deals", "roas", "new_customers", "cac", "team_only"),
    [
        ("admin_user", "10000.00", "15000.00", 2, "30.00", 2, "250.00", False),
        ("marketer", "10000.00", "15000.00", 2, "30.00", 2, "250.00", False),
        ("rep_a", "10000.00", "6000.00", 1, "12.00", 1, "500.00", True),
        ("rep_b", "0.00", "9000.00", 1, "18.00", 1, "500.00", True),
    ],
)
def test_the_api_gives_each_caller_their_figures(
    request, owned_launch, admin_user, who, pipeline, won, won_deals, roas, new_customers, cac,
    team_only,
):  # fmt: skip
    m = _api_metrics(request.getfixturevalue(who), owned_launch.campaign.pk)

    assert (
        m["pipeline"],
        m["won_revenue"],
        m["won_deals"],
        m["roas"],
        m["new_customers"],
        m["cac"],
        m["team_only"],
    ) == (pipeline, won, won_deals, roas, new_customers, cac, team_only)
    assert (m["cost"], m["leads"]) == ("500.00", 4)
    assert [g["actual"] for g in m["goals"]][3:] == [pipeline, won]
