"""The Marketing pages for campaigns: list, detail, create/edit and tracked links."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.campaigns.models import Campaign, CampaignStatus, Channel
from revline.tracking.models import TouchpointKind, TrackedLink
from revline.tracking.services import RequestInfo, touchpoint_record

from .conftest import T0

VALID = {
    "name": "Summer Webinar",
    "objective": "leads",
    "audience": "",
    "goal_leads": "",
    "goal_mqls": "",
    "goal_sqls": "",
    "goal_pipeline": "",
    "goal_revenue": "",
    "channel": "email",
    "status": "planned",
    "owner": "",
    "start_date": "2025-06-01",
    "end_date": "2025-06-30",
    "budget": "250",
    "currency": "eur",
    "description": "Invite customers.",
    "utm_source": "",
    "utm_medium": "",
    "utm_campaign": "",
    "utm_content": "",
    "utm_term": "",
}


def names(response) -> list[str]:
    return [c.name for c in response.context["listing"].page]


def test_list_needs_login(client, db):
    response = client.get("/campaigns/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_list_shows_leads_and_won_revenue(client, rep_a, funnel):
    client.force_login(rep_a)

    response = client.get("/campaigns/")

    assert response.status_code == 200
    assert names(response) == ["Autumn webinar", "Spring launch"]  # newest start first
    html = response.content.decode()
    assert '<td class="num" data-col="won">€1,000</td>' in html
    assert '<td class="num" data-col="won">€2,000</td>' in html
    assert '<td class="num">€300</td>' in html  # budget


def test_list_searches_name_and_utm_campaign(client, rep_a, funnel):
    client.force_login(rep_a)

    assert names(client.get("/campaigns/?q=spring")) == ["Spring launch"]
    assert names(client.get("/campaigns/?q=autumn-web")) == ["Autumn webinar"]
    response = client.get("/campaigns/?q=nothing-like-it")
    assert names(response) == []
    assert "No campaigns match these filters." in response.content.decode()


def test_list_filters_by_channel_status_and_owner(client, rep_a, funnel):
    client.force_login(rep_a)

    assert names(client.get("/campaigns/?channel=email")) == ["Autumn webinar"]
    assert names(client.get("/campaigns/?status=active")) == ["Spring launch"]
    assert names(client.get("/campaigns/?owner=marketer")) == ["Spring launch"]
    assert names(client.get("/campaigns/?owner=99x&channel=<script>")) == []


def test_list_sorts_by_every_figure(client, rep_a, funnel):
    client.force_login(rep_a)

    assert names(client.get("/campaigns/?sort=name")) == ["Autumn webinar", "Spring launch"]
    assert names(client.get("/campaigns/?sort=-leads")) == ["Spring launch", "Autumn webinar"]
    assert names(client.get("/campaigns/?sort=-won")) == ["Autumn webinar", "Spring launch"]
    assert names(client.get("/campaigns/?sort=-budget")) == ["Spring launch", "Autumn webinar"]
    assert names(client.get("/campaigns/?sort=bogus")) == ["Autumn webinar", "Spring launch"]


def test_list_paginates(client, rep_a, db):
    Campaign.objects.bulk_create(
        Campaign(name=f"C{i:02d}", channel=Channel.DISPLAY) for i in range(30)
    )
    client.force_login(rep_a)

    response = client.get("/campaigns/?sort=name&page=2")

    assert names(response) == [f"C{i:02d}" for i in range(25, 30)]
    assert "page 2 of 2" in response.content.decode()


def test_list_query_count_does_not_grow_with_campaigns(client, rep_a, funnel):
    client.force_login(rep_a)
    client.get("/campaigns/")
    with CaptureQueriesContext(connection) as few:
        client.get("/campaigns/")
    for i in range(30):
        campaign = Campaign.objects.create(name=f"Extra {i}", channel=Channel.DISPLAY, owner=rep_a)
        touchpoint_record(
            kind=TouchpointKind.FORM_SUBMISSION,
            visitor=None,
            contact=funnel.ada,
            campaign=campaign,
            occurred_at=T0,
        )

    with CaptureQueriesContext(connection) as many:
        response = client.get("/campaigns/")

    assert len(response.context["listing"].page) == 25
    assert len(many) == len(few)
    # 6, plus one read of the workspace (record visibility for the figures, the team note, the
    # leads column and the navigation's reports: core.workspace reads it once per request)
    assert len(many) <= 7


def test_new_campaign_button_only_for_marketing(client, rep_a, marketer, db):
    client.force_login(rep_a)
    assert "New campaign" not in client.get("/campaigns/").content.decode()

    client.force_login(marketer)
    assert "New campaign" in client.get("/campaigns/").content.decode()


def test_detail_shows_exact_metrics(client, rep_a, funnel):
    client.force_login(rep_a)

    response = client.get(f"/campaigns/{funnel.spring.pk}/")

    assert response.status_code == 200
    metrics = response.context["detail"].metrics
    assert (metrics.link_clicks, metrics.page_views, metrics.form_submissions) == (2, 3, 3)
    assert (metrics.unique_visitors, metrics.contacts, metrics.leads) == (4, 4, 2)
    assert (metrics.won_deals, metrics.won_revenue) == (1, Decimal("1000.00"))
    html = response.content.decode()
    assert '<span data-metric="cost_per_lead">€0</span>' in html  # no spend recorded
    assert "1 deal in other currencies not included" in html
    assert "Edit campaign" not in html
    assert "New tracked link" not in html


def test_detail_of_unknown_campaign_is_404(client, rep_a, db):
    client.force_login(rep_a)

    assert client.get("/campaigns/999/").status_code == 404


def test_detail_escapes_touchpoint_text(client, marketer, funnel):
    touchpoint_record(
        kind=TouchpointKind.PAGE_VIEW,
        visitor=None,
        campaign=funnel.spring,
        occurred_at=T0,
        info=RequestInfo(url="https://x.example/<script>alert(1)</script>"),
    )
    client.force_login(marketer)

    html = client.get(f"/campaigns/{funnel.spring.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_detail_lists_links_with_copyable_public_url(client, marketer, funnel, settings):
    settings.BASE_URL = "https://go.example.org"
    link = TrackedLink.objects.get()
    client.force_login(marketer)

    html = client.get(f"/campaigns/{funnel.spring.pk}/").content.decode()

    assert f'value="https://go.example.org/t/c/{link.token}"' in html
    assert (
        "https://example.com/lp/spring?utm_source=google&amp;utm_medium=cpc"
        "&amp;utm_campaign=spring-launch"
    ) in html
    assert "New tracked link" in html


def test_marketer_creates_a_campaign_with_utm_defaults(client, marketer):
    client.force_login(marketer)

    response = client.post("/campaigns/new", VALID)

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.name, campaign.channel, campaign.budget, campaign.currency) == (
        "Summer Webinar",
        "email",
        Decimal("250.00"),
        "EUR",
    )
    assert (campaign.utm_source, campaign.utm_medium, campaign.utm_campaign) == (
        "newsletter",
        "email",
        "summer-webinar",
    )
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


def test_inconsistent_utm_values_are_saved_with_warnings(client, marketer, funnel):
    client.force_login(marketer)

    response = client.post(
        "/campaigns/new", {**VALID, "utm_medium": "CPC", "utm_campaign": "Spring-Launch"}
    )

    assert response.status_code == 302
    created = Campaign.objects.get(name="Summer Webinar")
    assert (created.utm_medium, created.utm_campaign) == ("cpc", "spring-launch")
    warnings = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 2
    assert warnings[0].startswith("utm_medium “cpc” is unusual for Email campaigns")
    assert "is also used by “Spring launch”" in warnings[1]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"end_date": "2025-05-01"},
            "end_date",
            "The end date must be on or after the start date.",
        ),
        ({"budget": "-5"}, "budget", "Ensure this value is greater than or equal to 0."),
        ({"name": ""}, "name", "This field is required."),
        ({"channel": "carrier_pigeon"}, "channel", "Select a valid choice."),
        ({"currency": "EURO"}, "currency", "Ensure this value has at most 3 characters"),
        ({"utm_source": "x" * 101}, "utm_source", "Ensure this value has at most 100 characters"),
    ],
)
def test_invalid_campaign_shows_inline_errors_and_creates_nothing(
    client, marketer, change, field, message
):
    client.force_login(marketer)

    response = client.post("/campaigns/new", {**VALID, **change})

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert '<small class="error">' in response.content.decode()
    assert Campaign.objects.count() == 0


def test_sales_rep_cannot_open_or_post_the_campaign_form(client, rep_a):
    client.force_login(rep_a)

    assert client.get("/campaigns/new").status_code == 403
    assert client.post("/campaigns/new", VALID).status_code == 403
    assert Campaign.objects.count() == 0


def test_edit_form_is_prefilled_and_saves(client, marketer, funnel):
    client.force_login(marketer)
    url = f"/campaigns/{funnel.spring.pk}/edit"

    form = client.get(url).context["form"]
    assert (form["name"].value(), form["utm_campaign"].value()) == (
        "Spring launch",
        "spring-launch",
    )

    response = client.post(
        url,
        {
            **VALID,
            "name": "Spring relaunch",
            "channel": "paid_search",
            "utm_campaign": "spring-launch",
            "status": CampaignStatus.COMPLETED,
        },
    )

    assert response.status_code == 302
    funnel.spring.refresh_from_db()
    assert (funnel.spring.name, funnel.spring.status, funnel.spring.utm_source) == (
        "Spring relaunch",
        "completed",
        "google",
    )


def test_invalid_edit_changes_nothing(client, marketer, funnel):
    client.force_login(marketer)

    response = client.post(
        f"/campaigns/{funnel.spring.pk}/edit",
        {**VALID, "name": "Renamed", "start_date": "2025-07-01", "end_date": "2025-06-01"},
    )

    assert response.status_code == 400
    funnel.spring.refresh_from_db()
    assert (funnel.spring.name, funnel.spring.start_date) == ("Spring launch", date(2025, 3, 3))


def test_sales_rep_cannot_edit(client, rep_a, funnel):
    client.force_login(rep_a)

    assert client.get(f"/campaigns/{funnel.spring.pk}/edit").status_code == 403
    assert client.post(f"/campaigns/{funnel.spring.pk}/edit", VALID).status_code == 403
    funnel.spring.refresh_from_db()
    assert funnel.spring.name == "Spring launch"


def test_marketer_creates_a_tracked_link(client, marketer, funnel):
    client.force_login(marketer)

    response = client.post(
        f"/campaigns/{funnel.spring.pk}/links",
        {
            "destination_url": " https://example.com/pricing ",
            "label": "LinkedIn post",
            "utm_content": "Carousel",
            "utm_term": "",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{funnel.spring.pk}/#links"
    link = TrackedLink.objects.get(label="LinkedIn post")
    assert (link.campaign, link.destination_url, link.utm_content) == (
        funnel.spring,
        "https://example.com/pricing",
        "carousel",
    )


@pytest.mark.parametrize(
    "destination",
    ["javascript:alert(1)", "ftp://example.com/file", "https://user:pw@example.com/", "not a url"],
)
def test_bad_destination_is_a_form_error_and_creates_no_link(client, marketer, funnel, destination):
    client.force_login(marketer)

    response = client.post(
        f"/campaigns/{funnel.spring.pk}/links", {"destination_url": destination, "label": "Bad"}
    )

    assert response.status_code == 400
    assert response.context["link_form"].errors["destination_url"]
    assert '<small class="error">' in response.content.decode()
    assert TrackedLink.objects.filter(label="Bad").count() == 0


def test_link_creation_needs_post_and_marketing_rights(client, rep_a, funnel):
    client.force_login(rep_a)
    url = f"/campaigns/{funnel.spring.pk}/links"

    assert client.post(url, {"destination_url": "https://example.com/"}).status_code == 403
    client.force_login(funnel.spring.owner)
    assert client.get(url).status_code == 405
    assert TrackedLink.objects.count() == 1
