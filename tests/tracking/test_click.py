"""The click endpoint: records a touchpoint and redirects only to the stored destination."""

from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError

from revline.campaigns.models import Campaign, Channel
from revline.tracking.models import Touchpoint, TrackedLink, Visitor
from revline.tracking.services import link_create, redirect_url
from revline.tracking.views import VISITOR_COOKIE

DESTINATION = "https://shop.example/offer?ref=ad"
EXPECTED = (
    "https://shop.example/offer?ref=ad&utm_source=google&utm_medium=cpc&utm_campaign=spring-sale"
)

HOSTILE = [
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "%2F%2Fevil.example",
    "%2f%5cevil.example",
    "good.example@evil.example",
    "https://good.example@evil.example",
    "http://evil.example%23.good.example",
    "\r\nLocation: https://evil.example",
    "%0d%0aLocation:%20https://evil.example",
    "%0aSet-Cookie:%20x=1",
    "https://evil.example",
    "///evil.example",
    "\\\\evil.example",
    "http:/\\/evil.example",
    "vbscript:msgbox(1)",
    "%68%74%74%70%73%3a%2f%2fevil.example",
    "\x00https://evil.example",
    " https://evil.example",
]


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(
        name="Spring sale",
        channel=Channel.PAID_SEARCH,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring-sale",
    )


@pytest.fixture
def link(campaign, marketer) -> TrackedLink:
    return link_create(
        actor=marketer, campaign=campaign, destination_url=DESTINATION, label="Search ad"
    )


def test_click_records_touchpoint_and_redirects_with_utm(client, link):
    response = client.get(
        f"/t/c/{link.token}",
        HTTP_REFERER="https://www.google.com/",
        HTTP_USER_AGENT="Mozilla/5.0 test",
    )

    assert response.status_code == 302
    assert response["Location"] == EXPECTED
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.kind == "click"
    assert touchpoint.link == link
    assert touchpoint.campaign == link.campaign
    assert touchpoint.channel == "paid_search"
    assert (touchpoint.utm_source, touchpoint.utm_medium, touchpoint.utm_campaign) == (
        "google",
        "cpc",
        "spring-sale",
    )
    assert touchpoint.referrer == "https://www.google.com/"
    assert touchpoint.user_agent == "Mozilla/5.0 test"
    assert touchpoint.contact is None
    assert response.cookies[VISITOR_COOKIE].value == str(touchpoint.visitor_id)
    assert response.cookies[VISITOR_COOKIE]["httponly"]


def test_second_click_reuses_the_visitor_cookie(client, link):
    client.get(f"/t/c/{link.token}")
    client.get(f"/t/c/{link.token}")

    assert Visitor.objects.count() == 1
    assert Touchpoint.objects.filter(visitor=Visitor.objects.get()).count() == 2


def test_forged_visitor_cookie_gets_a_new_visitor(client, link):
    client.cookies[VISITOR_COOKIE] = "not-a-uuid<script>"

    response = client.get(f"/t/c/{link.token}")

    assert response.status_code == 302
    assert Visitor.objects.count() == 1


@pytest.mark.parametrize("token", ["", "short", "A" * 22, "../../etc/passwd", "x" * 65, "%00" * 20])
def test_unknown_or_malformed_token_is_404_and_records_nothing(client, link, token):
    response = client.get(f"/t/c/{quote(token, safe='%/.')}")

    assert response.status_code == 404
    assert Touchpoint.objects.count() == 0
    assert Visitor.objects.count() == 0


def test_tampered_token_is_404(client, link):
    tampered = link.token[:-1] + ("A" if link.token[-1] != "A" else "B")

    assert client.get(f"/t/c/{tampered}").status_code == 404
    assert Touchpoint.objects.count() == 0


def test_inactive_link_is_404(client, link):
    TrackedLink.objects.filter(pk=link.pk).update(is_active=False)

    assert client.get(f"/t/c/{link.token}").status_code == 404
    assert Touchpoint.objects.count() == 0


def test_post_is_not_allowed(client, link):
    assert client.post(f"/t/c/{link.token}").status_code == 405
    assert Touchpoint.objects.count() == 0


@pytest.mark.parametrize("payload", HOSTILE)
def test_query_parameters_never_change_the_destination(client, link, payload):
    encoded = quote(payload, safe="")
    for query in (
        f"next={encoded}",
        f"url={encoded}",
        f"redirect={encoded}",
        f"destination_url={encoded}",
        f"utm_source={encoded}",
        f"to={encoded}&next={encoded}",
    ):
        response = client.get(f"/t/c/{link.token}?{query}")
        assert response.status_code == 302
        assert response["Location"] == EXPECTED


@pytest.mark.parametrize("payload", HOSTILE)
def test_payloads_in_the_path_are_404(client, link, payload):
    response = client.get(f"/t/c/{link.token}/{quote(payload, safe='')}")

    assert response.status_code == 404
    response = client.get(f"/t/c/{quote(payload, safe='')}")
    assert response.status_code == 404
    assert Touchpoint.objects.count() == 0


@pytest.mark.parametrize(
    "destination",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example",
        "/relative/path",
        "https:evil.example",
        "https://user:pass@evil.example/",
        "https://good.example@evil.example/",
        "https://evil.example/\r\nSet-Cookie: x=1",
        "ftp://files.example/",
        "vbscript:msgbox(1)",
        "https://evil.example\\@good.example",
    ],
)
def test_link_create_refuses_unsafe_destinations(campaign, marketer, destination):
    with pytest.raises(ValidationError) as error:
        link_create(actor=marketer, campaign=campaign, destination_url=destination)

    assert "destination_url" in error.value.message_dict
    assert TrackedLink.objects.count() == 0


def test_link_create_is_refused_to_a_sales_rep(campaign, rep_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        link_create(actor=rep_a, campaign=campaign, destination_url=DESTINATION)
    assert TrackedLink.objects.count() == 0


def test_tokens_are_unguessable_and_unique(campaign, marketer):
    tokens = {
        link_create(actor=marketer, campaign=campaign, destination_url=DESTINATION).token
        for _ in range(50)
    }

    assert len(tokens) == 50
    assert all(len(t) >= 20 for t in tokens)


def test_redirect_replaces_utm_values_already_in_the_destination(campaign, marketer):
    link = link_create(
        actor=marketer,
        campaign=campaign,
        destination_url="https://shop.example/?utm_source=old&a=1#top",
        utm_content="Banner-A",
    )

    assert redirect_url(link) == (
        "https://shop.example/?a=1&utm_source=google&utm_medium=cpc&utm_campaign=spring-sale"
        "&utm_content=banner-a#top"
    )


def test_public_endpoint_is_rate_limited(client, link, settings):
    settings.REVLINE_PUBLIC_RATE_LIMIT = 3
    statuses = [client.get(f"/t/c/{link.token}").status_code for _ in range(5)]

    assert statuses == [302, 302, 302, 429, 429]
    assert Touchpoint.objects.count() == 3


def test_a_destination_on_the_workspaces_own_site_gets_the_visitor_id(client, link, admin_user):
    # Given the shop is one of the workspace's site origins (it runs the snippet)
    from revline.core.workspace import workspace_update

    workspace_update(
        actor=admin_user, site_origins="https://shop.example", tracking_requires_consent=False
    )
    # When the link is clicked
    response = client.get(f"/t/c/{link.token}")
    # Then the redirect hands the visitor id to the shop's snippet as rl_vid
    visitor = Visitor.objects.get()
    assert response["Location"] == f"{EXPECTED}&rl_vid={visitor.pk}"


def test_no_other_site_ever_receives_the_visitor_id(client, link, admin_user):
    # Given site origins that do not include the link's destination
    from revline.core.workspace import workspace_update

    workspace_update(
        actor=admin_user, site_origins="https://other.example", tracking_requires_consent=False
    )
    # When the link is clicked
    response = client.get(f"/t/c/{link.token}")
    # Then the destination gets its UTM values and nothing else
    assert response["Location"] == EXPECTED
    assert "rl_vid" not in response["Location"]
