"""The website snippet in a real browser, on a customer's website of another origin.

The customer's site is a small HTTP server of its own at http://127.0.0.1:<its port>, a different
origin from Revline at http://localhost:<port>, so every batch is a real cross-origin request
checked against the workspace's site origins.
"""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, Request, expect

from revline.campaigns.models import Campaign, Channel
from revline.core.workspace import workspace_update
from revline.tracking.models import Touchpoint, Visitor

pytestmark = pytest.mark.browser

LANDING = "/landing?utm_source=google&utm_medium=cpc&utm_campaign=spring-sale"


class Shop:
    """The customer's website: /landing carries the snippet, /thanks does not."""

    def __init__(self) -> None:
        self.landing = ""
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = shop.landing if self.path.startswith("/landing") else "<p>Thanks</p>"
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def shop() -> Iterator[Shop]:
    site = Shop()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def customer_page(live_server, *, consent_required: bool = False) -> str:
    consent = ' data-consent="required"' if consent_required else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Spring offer</title>
<script async src="{live_server.url}/t/revline.js"{consent}></script></head>
<body><h1>Spring offer</h1>
<button data-revline-cta="Hero: start trial">Start trial</button>
<a href="/thanks" data-revline-cta="Go to thanks">Continue</a>
</body></html>"""


def is_collect(live_server):
    def match(response_or_request) -> bool:
        request = getattr(response_or_request, "request", response_or_request)
        return request.url == f"{live_server.url}/t/collect" and request.method == "POST"

    return match


def visitor_cookie(page: Page, shop: str) -> str | None:
    found = [c["value"] for c in page.context.cookies(shop) if c["name"] == "revline_vid"]
    return found[0] if found else None


def wait_for_rows(count: int, timeout: float = 10.0) -> None:
    """Wait for a beacon the page sent while unloading (nothing to await in the browser)."""
    deadline = time.monotonic() + timeout
    while Touchpoint.objects.count() < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_page_view_and_cta_clicks_arrive_with_their_utm_values(
    page: Page, live_server, shop, admin_user, page_errors
):
    # Given a campaign, and the shop's origin allowed to send events
    campaign = Campaign.objects.create(
        name="Spring sale",
        channel=Channel.PAID_SEARCH,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring-sale",
    )
    shop.landing = customer_page(live_server)
    workspace_update(actor=admin_user, site_origins=shop.origin, tracking_requires_consent=False)

    # When a visitor lands on the shop page from the ad
    with page.expect_response(is_collect(live_server)) as first:
        page.goto(f"{shop.origin}{LANDING}")

    # Then the page view is sent at once and stored, with the campaign of its UTM values
    assert first.value.status == 200
    assert first.value.headers["access-control-allow-origin"] == shop.origin
    view = Touchpoint.objects.get(kind="page_view")
    assert view.url == f"{shop.origin}{LANDING}"
    assert (view.utm_source, view.utm_medium, view.utm_campaign) == ("google", "cpc", "spring-sale")
    assert view.campaign == campaign
    assert view.channel == "paid_search"
    assert view.params == {"title": "Spring offer"}
    # And the visitor id lives in a first-party cookie of the shop, the same as stored
    cookie = visitor_cookie(page, shop.origin)
    assert cookie is not None
    assert uuid.UUID(cookie).version == 4
    assert str(view.visitor_id) == cookie

    # When they click the call to action (the queue is flushed rather than waiting 5 s)
    page.get_by_role("button", name="Start trial").click()
    with page.expect_response(is_collect(live_server)) as second:
        page.evaluate("window.revline.flush()")

    # Then the CTA click arrives with its label and the page's UTM values
    assert second.value.status == 200
    click = Touchpoint.objects.get(kind="cta_click")
    assert click.params == {"title": "Spring offer", "label": "Hero: start trial"}
    assert (click.utm_source, click.utm_campaign, click.campaign) == (
        "google",
        "spring-sale",
        campaign,
    )
    assert click.visitor_id == view.visitor_id

    # When they follow a CTA link, the click is sent by the beacon as the page goes away
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_text("Thanks")).to_be_visible()
    wait_for_rows(3)
    assert list(
        Touchpoint.objects.filter(kind="cta_click")
        .order_by("occurred_at")
        .values_list("params__label", flat=True)
    ) == ["Hero: start trial", "Go to thanks"]
    assert Visitor.objects.count() == 1
    assert page_errors == []


def test_with_consent_required_nothing_is_stored_until_the_visitor_consents(
    page: Page, live_server, shop, admin_user, page_errors
):
    # Given a workspace that requires consent, and a page whose snippet says so
    shop.landing = customer_page(live_server, consent_required=True)
    workspace_update(actor=admin_user, site_origins=shop.origin, tracking_requires_consent=True)
    sent: list[Request] = []
    page.on(
        "request",
        lambda request: sent.append(request) if is_collect(live_server)(request) else None,
    )

    # When a visitor opens the page and clicks a CTA without having consented
    page.goto(f"{shop.origin}{LANDING}")
    page.wait_for_function("window.revline && window.revline.version === '1'")
    page.get_by_role("button", name="Start trial").click()
    page.evaluate("window.revline.flush()")

    # Then nothing was sent, nothing stored, and no cookie set
    assert sent == []
    assert Touchpoint.objects.count() == 0
    assert Visitor.objects.count() == 0
    assert visitor_cookie(page, shop.origin) is None
    assert page.evaluate("window.revline.visitorId()") is None

    # When the consent banner calls revline.consent(true)
    with page.expect_response(is_collect(live_server)) as answer:
        page.evaluate("window.revline.consent(true)")

    # Then the page view is recorded, with consent in the batch, and the cookie is set
    assert answer.value.status == 200
    assert json.loads(answer.value.request.post_data or "{}")["consent"] is True
    view = Touchpoint.objects.get()
    assert (view.kind, view.utm_campaign) == ("page_view", "spring-sale")
    assert visitor_cookie(page, shop.origin) == str(view.visitor_id)

    # When consent is withdrawn, the cookie is deleted and clicks are no longer recorded
    page.evaluate("window.revline.consent(false)")
    assert visitor_cookie(page, shop.origin) is None
    before = len(sent)
    page.get_by_role("button", name="Start trial").click()
    page.evaluate("window.revline.flush()")
    assert len(sent) == before
    assert Touchpoint.objects.count() == 1
    assert page_errors == []


def test_an_origin_not_in_the_settings_stores_nothing(
    page: Page, live_server, shop, admin_user, page_errors
):
    # Given a workspace that lists another site only
    shop.landing = customer_page(live_server)
    workspace_update(
        actor=admin_user, site_origins="https://www.other.example", tracking_requires_consent=False
    )
    # When the page sends its page view
    with page.expect_request(is_collect(live_server)):
        page.goto(f"{shop.origin}{LANDING}")
    # Then it is refused: no CORS permission, so the page cannot even read the answer
    assert page.evaluate("window.revline.flush().then(() => 'settled')") == "settled"
    assert Touchpoint.objects.count() == 0
    assert Visitor.objects.count() == 0
    assert page_errors == []


def test_custom_events_queued_before_the_snippet_loads_are_sent(
    page: Page, live_server, shop, admin_user, page_errors
):
    # Given a browser without crypto.randomUUID (older ones), and a page that queues a custom
    # event before the snippet has loaded
    page.add_init_script(
        "Object.defineProperty(Crypto.prototype, 'randomUUID', {value: undefined})"
    )
    shop.landing = customer_page(live_server).replace(
        "<script async",
        "<script>window.revline = window.revline || [];"
        ' revline.push(["track", "Chat opened", {plan: "pro", seats: 3, bad: {x: 1}}]);</script>'
        "<script async",
    )
    workspace_update(actor=admin_user, site_origins=shop.origin, tracking_requires_consent=False)
    # When the page loads
    with page.expect_response(is_collect(live_server)) as answer:
        page.goto(f"{shop.origin}{LANDING}")
    assert answer.value.status == 200
    page.evaluate("window.revline.flush()")
    # Then the page view and the custom CTA event are stored, with only the valid props
    assert sorted(Touchpoint.objects.values_list("kind", "params__label")) == [
        ("cta_click", "Chat opened"),
        ("page_view", None),
    ]
    custom = Touchpoint.objects.get(kind="cta_click")
    assert custom.params == {
        "title": "Spring offer",
        "label": "Chat opened",
        "prop_plan": "pro",
        "prop_seats": 3,
    }
    # And the fallback id generator made a version-4 UUID
    assert uuid.UUID(visitor_cookie(page, shop.origin) or "").version == 4
    assert page.evaluate("typeof crypto.randomUUID") == "undefined"
    assert page_errors == []


def test_a_visitor_from_a_tracked_link_is_the_same_visitor_on_the_site(
    page: Page, live_server, shop, admin_user, marketer, page_errors
):
    # Given a tracked link of a campaign that leads to the shop, which runs the snippet
    from revline.tracking.services import link_create

    campaign = Campaign.objects.create(
        name="Spring sale", channel=Channel.PAID_SEARCH, utm_source="google",
        utm_medium="cpc", utm_campaign="spring-sale",
    )  # fmt: skip
    link = link_create(actor=marketer, campaign=campaign, destination_url=f"{shop.origin}/landing")
    shop.landing = customer_page(live_server)
    workspace_update(actor=admin_user, site_origins=shop.origin, tracking_requires_consent=False)

    # When a visitor clicks the ad (Revline's redirect) and lands on the shop
    with page.expect_response(is_collect(live_server)) as first:
        page.goto(f"{live_server.url}/t/c/{link.token}")
    assert first.value.status == 200

    # Then the click and the page view belong to one visitor, whose id the shop's cookie keeps
    click = Touchpoint.objects.get(kind="click")
    view = Touchpoint.objects.get(kind="page_view")
    assert view.visitor_id == click.visitor_id
    assert visitor_cookie(page, shop.origin) == str(click.visitor_id)
    # And the id was taken out of the address bar and of the recorded URL
    assert "rl_vid" not in page.url
    assert "rl_vid" not in view.url
    assert Visitor.objects.count() == 1
    assert page_errors == []
