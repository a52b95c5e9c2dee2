"""The marketing reports and deal visibility: sales reps and managers under the workspace's team
visibility count only the deals they may see; admins and marketers see the whole company."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import Client

from revline.analytics import dashboard
from revline.analytics.dashboard import Period
from revline.analytics.selectors import campaign_attribution
from revline.campaigns.models import Campaign, Channel
from revline.core.models import DealVisibility
from revline.core.services import api_token_issue
from revline.core.workspace import workspace_get
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

MARCH = Period(start=date(2025, 3, 1), end=date(2025, 3, 31), bucket=dashboard.WEEK)
PAGES = ("/reports/attribution/", "/reports/marketing/?start=2025-03-01&end=2025-03-31")


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def won_deals(db, rep_a, rep_b):
    """A campaign touched by three contacts, each of whom then won a deal in March: team A's
    (rep_a, €900), team B's (rep_b, €100) and an unowned one (€50, visible to everyone)."""
    search = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    for name, owner, amount in (("ada", rep_a, "900"), ("bob", rep_b, "100"), ("cy", None, "50")):
        contact = contact_create(actor=None, email=f"{name}@example.com")
        touchpoint_record(
            kind=TouchpointKind.FORM_SUBMISSION,
            visitor=None,
            contact=contact,
            campaign=search,
            occurred_at=at(2),
        )
        deal = deal_create(
            actor=None,
            owner=owner,
            name=f"{name} deal",
            amount=Decimal(amount),
            contact=contact,
            created_at=at(3),
        )
        deal_close_won(actor=None, deal=deal, note="Fit", at=at(10))
    return search


def _set_visibility(value: str) -> None:
    workspace = workspace_get()
    workspace.deal_visibility = value
    workspace.save()


# --- selectors ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "won", "revenue", "team_only"),
    [
        ("rep_a", 2, Decimal("950"), True),
        ("manager_a", 2, Decimal("950"), True),
        ("rep_b", 2, Decimal("150"), True),
        ("marketer", 3, Decimal("1050"), False),
        ("admin_user", 3, Decimal("1050"), False),
    ],
)
def test_attribution_counts_the_deals_the_viewer_may_see(
    request, won_deals, who, won, revenue, team_only
):
    viewer = request.getfixturevalue(who)

    report = campaign_attribution(viewer=viewer)

    assert (report.won_deals, report.won_revenue, report.team_only) == (won, revenue, team_only)
    assert [(row.name, row.revenue["linear"]) for row in report.rows] == [("Search", revenue)]


@pytest.mark.django_db
def test_attribution_without_a_viewer_is_the_whole_workspace(won_deals):
    report = campaign_attribution()

    assert (report.won_deals, report.won_revenue, report.team_only) == (3, Decimal("1050"), False)


@pytest.mark.django_db
def test_with_all_visibility_a_rep_sees_the_whole_company(won_deals, rep_b):
    _set_visibility(DealVisibility.ALL)

    report = campaign_attribution(viewer=rep_b)
    board = dashboard.marketing_dashboard(MARCH, viewer=rep_b)

    assert (report.won_deals, report.won_revenue, report.team_only) == (3, Decimal("1050"), False)
    assert (board.won_revenue, board.team_only) == (Decimal("1050"), False)


@pytest.mark.django_db
def test_marketing_dashboard_narrows_deal_figures_only(won_deals, rep_b, marketer):
    mine = dashboard.marketing_dashboard(MARCH, viewer=rep_b)
    company = dashboard.marketing_dashboard(MARCH, viewer=marketer)

    assert (mine.pipeline, mine.won_revenue, mine.team_only) == (
        Decimal("150.00"),
        Decimal("150.00"),
        True,
    )
    assert [(r.campaign.name, r.amount, r.deals) for r in mine.top_revenue] == [
        ("Search", Decimal("150.00"), 2)
    ]
    assert (company.pipeline, company.won_revenue, company.team_only) == (
        Decimal("1050.00"),
        Decimal("1050.00"),
        False,
    )
    # Leads are contacts, not deals: the same for everyone.
    assert (mine.leads, company.leads) == (3, 3)


# --- pages and API ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_as_rep_b_show_team_numbers_and_say_so(client, won_deals, rep_b):
    client.force_login(rep_b)

    attribution = client.get(PAGES[0])
    marketing = client.get(PAGES[1])

    assert (attribution.status_code, marketing.status_code) == (200, 200)
    assert attribution.context["report"].won_revenue == Decimal("150")
    assert marketing.context["report"].won_revenue == Decimal("150.00")
    assert 'id="team-only"' in attribution.content.decode()
    assert 'id="team-only"' in marketing.content.decode()
    assert "€1,050" not in attribution.content.decode()


@pytest.mark.django_db
def test_pages_as_marketer_show_the_whole_company(client, won_deals, marketer):
    client.force_login(marketer)

    attribution = client.get(PAGES[0])
    marketing = client.get(PAGES[1])

    assert attribution.context["report"].won_revenue == Decimal("1050")
    assert marketing.context["report"].won_revenue == Decimal("1050.00")
    assert 'id="team-only"' not in attribution.content.decode()
    assert 'id="team-only"' not in marketing.content.decode()
    assert "€1,050" in attribution.content.decode()


@pytest.mark.django_db
def test_api_report_follows_the_token_users_visibility(won_deals, rep_b, marketer):
    def report_as(user):
        token = api_token_issue(user=user, name="tests").raw
        response = Client().get("/api/v1/reports/attribution", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        return response.json()

    as_rep_b, as_marketer = report_as(rep_b), report_as(marketer)

    assert (as_rep_b["won_deals"], as_rep_b["won_revenue"]) == (2, "150.00")
    assert (as_marketer["won_deals"], as_marketer["won_revenue"]) == (3, "1050.00")
