"""Campaign figures: leads, won revenue and the detail metrics, on the funnel in conftest.py."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.campaigns.metrics import Figures
from revline.campaigns.models import Campaign, Channel
from revline.campaigns.selectors import (
    campaign_detail,
    campaign_metrics,
    campaign_utm_warnings,
    campaigns_with_metrics,
)
from revline.tracking.models import TouchpointKind
from revline.tracking.services import link_create, touchpoint_record, visitor_touch

from .conftest import T0


def test_list_annotates_leads_and_won_revenue_in_base_currency(funnel):
    rows = {c.name: (c.leads, c.won_revenue) for c in campaigns_with_metrics()}

    assert rows == {
        "Spring launch": (2, Decimal("1000.00")),
        "Autumn webinar": (1, Decimal("2000.00")),
    }


def test_campaign_without_touches_has_zero_figures(db):
    Campaign.objects.create(name="Quiet", channel=Channel.PR)

    quiet = campaigns_with_metrics().get()

    assert (quiet.leads, quiet.won_revenue) == (0, Decimal("0"))


def test_list_figures_cost_one_query_however_many_campaigns(funnel):
    for i in range(30):
        campaign = Campaign.objects.create(name=f"Extra {i}", channel=Channel.DISPLAY)
        touchpoint_record(
            kind=TouchpointKind.FORM_SUBMISSION,
            visitor=visitor_touch(visitor_id=None, at=T0),
            contact=funnel.ada,
            campaign=campaign,
            occurred_at=T0,
        )

    with CaptureQueriesContext(connection) as queries:
        rows = list(campaigns_with_metrics().order_by("-won_revenue", "name"))
        owners = [c.owner.username if c.owner else None for c in rows]

    assert len(queries) == 1
    assert len(rows) == 32
    assert [(c.name, c.leads, c.won_revenue) for c in rows[:3]] == [
        ("Autumn webinar", 1, Decimal("2000.00")),
        ("Extra 0", 1, Decimal("1000.00")),
        ("Extra 1", 1, Decimal("1000.00")),
    ]
    assert (rows[-1].name, owners[-1], owners[0]) == ("Spring launch", "marketer", None)


def test_detail_metrics_count_the_funnel_exactly(funnel):
    metrics = campaign_metrics(funnel.spring)

    assert (metrics.link_clicks, metrics.page_views, metrics.form_submissions) == (2, 3, 3)
    assert (metrics.unique_visitors, metrics.contacts) == (4, 4)
    # Ada, Cat and Eve moved on after touching the campaign; Bob's stages all came before it.
    # Ada's deal was opened before her first touch, so it is won revenue but not pipeline.
    assert metrics.figures == Figures(
        leads=2,
        mqls=3,
        sqls=3,
        pipeline=Decimal("0"),
        won_revenue=Decimal("1000.00"),
        new_customers=2,
    )
    assert (metrics.won_deals, metrics.won_other_currency) == (1, 1)
    assert metrics.cost_per_lead == Decimal("0.00")  # no spend recorded: leads cost nothing yet
    assert metrics.derived.roas is None
    assert metrics.budget_used == Decimal("0.0")


def test_detail_lists_links_with_public_and_redirect_urls(funnel, settings):
    settings.BASE_URL = "https://go.example.org"
    link_create(
        actor=None,
        campaign=funnel.spring,
        destination_url="https://example.com/pricing?ref=x",
        label="Pricing",
        utm_content="Hero",
    )

    detail = campaign_detail(funnel.spring)

    newest, first = detail.links
    assert newest.public_url == f"https://go.example.org/t/c/{newest.link.token}"
    assert newest.redirect_url == (
        "https://example.com/pricing?ref=x&utm_source=google&utm_medium=cpc"
        "&utm_campaign=spring-launch&utm_content=hero"
    )
    assert (newest.clicks, first.clicks) == (0, 2)
    assert len(detail.recent_touchpoints) == 9


def test_utm_warnings_name_other_campaigns_sharing_utm_campaign(funnel):
    twin = Campaign.objects.create(
        name="Spring twin",
        channel=Channel.PAID_SEARCH,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="Spring-Launch",
    )

    assert campaign_utm_warnings(twin) == [
        "utm_campaign “Spring-Launch” is also used by “Spring launch”; "
        "visits tagged with it cannot be credited reliably."
    ]
    assert campaign_utm_warnings(funnel.autumn) == []
