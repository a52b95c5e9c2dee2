"""Creative pages: create and edit forms, the detail with its numbers, the campaign's creatives card."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from revline.campaigns import creative_selectors
from revline.campaigns.models import Creative, CtaAction
from revline.content.models import LandingPage
from revline.core.context_processors import revline as revline_context
from revline.quotes.services import Buyer, order_form_key, order_place
from revline.sales.booking_selectors import bookable_slots
from revline.sales.booking_services import Booker, meeting_book
from revline.tracking.models import TrackedLink
from revline.tracking.services import RequestInfo, click_record

from ..quotes.cta_fixtures import (
    booking_creative,
    buy_creative,
    every_day,
    make_campaign,
    make_product,
)

BASE = "https://crm.example.com"
XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = BASE


@pytest.fixture
def campaign(db):
    return make_campaign()


@pytest.fixture
def page(campaign):
    return LandingPage.objects.create(slug="spring", title="Spring page", headline="Grow")


def _post_data(**changes):
    data = {
        "name": "Search ad A",
        "kind": "ad",
        "headline": "Grow faster",
        "body": "Read the guide.",
        "cta_label": "Get the guide",
        "cta_action": "form",
        "landing_page": "",
        "booking_user": "",
        "product": "",
    }
    data.update(changes)
    return data


def test_a_marketer_creates_a_creative_through_the_form(client, marketer, campaign, page):
    client.force_login(marketer)
    assert client.get(f"/campaigns/{campaign.pk}/creatives/new").status_code == 200

    response = client.post(
        f"/campaigns/{campaign.pk}/creatives/new", _post_data(landing_page=page.pk)
    )

    creative = Creative.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/creatives/{creative.pk}/"
    assert (creative.campaign, creative.landing_page, creative.cta_action) == (
        campaign,
        page,
        "form",
    )
    assert creative.link.destination_url == f"{BASE}/lp/spring"
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert f"{BASE}/t/c/{creative.link.token}".encode() in detail.content
    assert f'href="{BASE}/lp/spring"'.encode() in detail.content


def test_a_creative_without_its_target_shows_the_error_and_stores_nothing(
    client, marketer, campaign
):
    client.force_login(marketer)

    response = client.post(
        f"/campaigns/{campaign.pk}/creatives/new", _post_data(cta_action="buy_now")
    )

    assert response.status_code == 400
    assert "Pick the product the CTA sells." in response.content.decode()
    assert Creative.objects.count() == 0
    assert TrackedLink.objects.count() == 0


def test_reps_may_look_but_not_create_or_edit(client, rep_a, campaign, page):
    creative = buy_creative(campaign, make_product())
    client.force_login(rep_a)

    assert client.get(f"/campaigns/{campaign.pk}/creatives/new").status_code == 403
    response = client.post(
        f"/campaigns/{campaign.pk}/creatives/new", _post_data(landing_page=page.pk)
    )
    assert response.status_code == 403
    assert client.post(f"/campaigns/creatives/{creative.pk}/edit", _post_data()).status_code == 403
    detail = client.get(f"/campaigns/creatives/{creative.pk}/")
    assert detail.status_code == 200
    assert b"Edit creative" not in detail.content
    assert Creative.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, campaign):
    creative = buy_creative(campaign, make_product())

    response = client.get(f"/campaigns/creatives/{creative.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_editing_changes_the_copy_and_ignores_a_posted_action(client, marketer, campaign):
    product = make_product()
    creative = buy_creative(campaign, product)
    client.force_login(marketer)
    assert client.get(f"/campaigns/creatives/{creative.pk}/edit").status_code == 200

    response = client.post(
        f"/campaigns/creatives/{creative.pk}/edit",
        _post_data(
            name="Starter ad", cta_action="form", product=product.pk, headline="Now 10% off"
        ),
    )

    assert response.status_code == 302
    creative.refresh_from_db()
    assert (creative.headline, creative.cta_action, creative.product) == (
        "Now 10% off",
        "buy_now",
        product,
    )


def test_hostile_copy_is_shown_as_text(client, marketer, campaign):
    creative = buy_creative(campaign, make_product(name=XSS), name="Evil ad")
    Creative.objects.filter(pk=creative.pk).update(headline=XSS, body=XSS, cta_label=XSS[:60])
    client.force_login(marketer)

    html = client.get(f"/campaigns/creatives/{creative.pk}/").content.decode()

    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_detail_counts_clicks_bookings_orders_and_revenue(client, marketer, campaign, rep_a):
    # Given a buy-now creative clicked twice and ordered once for 2 x €49.90
    creative = buy_creative(campaign, make_product())
    for _ in range(2):
        click_record(link=creative.link, visitor_id=None, info=RequestInfo())
    order_place(
        creative=creative,
        signed_key=order_form_key(creative=creative),
        quantity=2,
        buyer=Buyer(email="grace@navy.example", first_name="Grace"),
        visitor_id=None,
    )

    # When the marketer opens it
    client.force_login(marketer)
    detail = client.get(f"/campaigns/creatives/{creative.pk}/").context["detail"]

    # Then the numbers are exact
    row = detail.row
    assert (row.clicks, row.bookings, row.orders, row.revenue) == (2, 0, 1, Decimal("99.80"))
    assert detail.unique_visitors == 3
    assert [order.total for order in detail.recent_orders] == [Decimal("99.80")]


def test_the_campaign_card_lists_each_creative_with_its_cta_link_and_numbers(campaign, rep_a):
    # Given a booking creative with one booked meeting, and a buy-now creative with no orders
    every_day(rep_a)
    booker = booking_creative(campaign, rep_a)
    meeting_book(
        creative=booker,
        starts_at=bookable_slots(rep_a)[0].starts_at,
        booker=Booker(email="ada@example.com", first_name="Ada"),
        visitor_id=None,
    )
    buyer = buy_creative(campaign, make_product())

    # When the campaign's creatives are listed and the card is rendered
    rows = creative_selectors.creatives_for_campaign(campaign=campaign)
    request = RequestFactory().get("/")
    request.user = campaign.owner or rep_a
    html = render_to_string(
        "campaigns/_creatives.html",
        {"creatives": rows, "campaign": campaign, **revline_context(request)},
    )

    # Then both are there, with their tracked links and numbers
    assert [(r.creative.name, r.bookings, r.orders, r.target) for r in rows] == [
        ("Demo ad", 1, 0, "Rep_A"),
        ("Starter ad", 0, 0, "Starter plan"),
    ]
    assert [r.cta_url for r in rows] == [
        f"{BASE}/book/{creative_selectors.creative_public_key(booker)}",
        f"{BASE}/buy/{creative_selectors.creative_public_key(buyer)}",
    ]
    assert f'value="{BASE}/t/c/{booker.link.token}"' in html
    assert "1 booked" in html
    assert "0 ordered" in html
    assert "New creative" not in html  # a rep sees no create button


def test_the_card_has_an_empty_state_with_a_create_link_for_marketers(campaign, marketer):
    request = RequestFactory().get("/")
    request.user = marketer

    html = render_to_string(
        "campaigns/_creatives.html",
        {"creatives": [], "campaign": campaign, **revline_context(request)},
    )

    assert "No creatives yet." in html
    assert f'href="/campaigns/{campaign.pk}/creatives/new"' in html


def test_the_booking_user_choices_are_reps_with_availability(
    client, marketer, campaign, rep_a, rep_b
):
    every_day(rep_a)
    client.force_login(marketer)

    form = client.get(f"/campaigns/{campaign.pk}/creatives/new").context["form"]

    assert list(form.fields["booking_user"].queryset) == [rep_a]
    assert list(form.fields["cta_action"].choices) == list(CtaAction.choices)
