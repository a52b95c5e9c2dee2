"""Creatives: each gets a CTA with a valid target and its own tracked link to the CTA's page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.campaigns import creative_selectors
from revline.campaigns.creative_services import creative_create, creative_update
from revline.campaigns.models import Creative, CreativeKind, CtaAction
from revline.content.models import LandingPage
from revline.quotes.services import product_update
from revline.tracking.models import TrackedLink
from revline.tracking.services import redirect_url

from ..quotes.cta_fixtures import (
    booking_creative,
    buy_creative,
    make_campaign,
    make_product,
    monday_mornings,
)

BASE = "https://crm.example.com"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = BASE


@pytest.fixture
def campaign(db):
    return make_campaign()


@pytest.fixture
def page(campaign):
    return LandingPage.objects.create(
        slug="spring", title="Spring page", headline="Grow", campaign=campaign
    )


def _form_creative(actor, campaign, page, **changes):
    values = {
        "name": "LinkedIn carousel A",
        "kind": CreativeKind.POST,
        "headline": "Grow faster",
        "body": "Our guide.",
        "cta_label": "Get the guide",
        "cta_action": CtaAction.FORM,
        "landing_page": page,
    }
    values.update(changes)
    return creative_create(actor=actor, campaign=campaign, **values)


def test_a_form_creative_links_to_its_landing_page(marketer, campaign, page):
    # When a marketer creates a creative whose CTA opens the landing page's form
    creative = _form_creative(marketer, campaign, page)

    # Then it is stored with its copy, and its own tracked link leads to the landing page
    creative.refresh_from_db()
    assert (creative.name, creative.kind, creative.cta_label) == (
        "LinkedIn carousel A",
        "post",
        "Get the guide",
    )
    link = creative.link
    assert link is not None
    assert link.campaign == campaign
    assert link.destination_url == f"{BASE}/lp/spring"
    assert link.utm_content == "linkedin-carousel-a"
    assert link.label == "Creative: LinkedIn carousel A"
    assert redirect_url(link) == (
        f"{BASE}/lp/spring?utm_source=linkedin&utm_medium=paid_social"
        "&utm_campaign=spring-launch&utm_content=linkedin-carousel-a"
    )
    assert creative_selectors.tracked_url(creative) == f"{BASE}/t/c/{link.token}"


def test_a_booking_creative_links_to_its_signed_booking_page(campaign, rep_a):
    monday_mornings(rep_a)

    creative = booking_creative(campaign, rep_a)

    key = creative_selectors.creative_public_key(creative)
    assert key.startswith(f"{creative.pk}.") and len(key) > 20
    assert creative.link.destination_url == f"{BASE}/book/{key}"
    assert creative.link.utm_content == "demo-ad"
    assert creative.booking_user == rep_a
    found = creative_selectors.creative_for_public_key(key, action=CtaAction.BOOK_MEETING)
    assert found == creative


def test_a_buy_creative_links_to_its_signed_order_page(campaign):
    creative = buy_creative(campaign, make_product())

    key = creative_selectors.creative_public_key(creative)
    assert creative.link.destination_url == f"{BASE}/buy/{key}"


def test_public_keys_cannot_be_guessed_or_reused_for_another_action(campaign):
    creative = buy_creative(campaign, make_product())
    key = creative_selectors.creative_public_key(creative)

    lookup = creative_selectors.creative_for_public_key
    assert lookup(key, action=CtaAction.BUY_NOW) == creative
    assert lookup(key, action=CtaAction.BOOK_MEETING) is None
    assert lookup(str(creative.pk), action=CtaAction.BUY_NOW) is None
    assert lookup(f"{creative.pk}.forged", action=CtaAction.BUY_NOW) is None
    assert lookup(f"{creative.pk + 1}{key[len(str(creative.pk)) :]}", action="buy_now") is None


def test_only_the_target_matching_the_action_is_kept(campaign, page, rep_a):
    monday_mornings(rep_a)
    product = make_product()

    creative = creative_create(
        actor=None,
        campaign=campaign,
        name="Buy ad",
        cta_label="Buy",
        cta_action=CtaAction.BUY_NOW,
        landing_page=page,
        booking_user=rep_a,
        product=product,
    )

    assert (creative.landing_page, creative.booking_user, creative.product) == (None, None, product)


@pytest.mark.parametrize(
    ("action", "field", "message"),
    [
        (CtaAction.FORM, "landing_page", "Pick the landing page"),
        (CtaAction.BOOK_MEETING, "booking_user", "Pick the sales rep"),
        (CtaAction.BUY_NOW, "product", "Pick the product"),
        ("pay_later", "cta_action", "Pick one of the listed actions."),
    ],
)
def test_a_creative_needs_the_target_of_its_action(campaign, action, field, message):
    with pytest.raises(ValidationError) as error:
        creative_create(actor=None, campaign=campaign, name="Ad", cta_label="Go", cta_action=action)

    assert message in error.value.message_dict[field][0]
    assert Creative.objects.count() == 0
    assert TrackedLink.objects.count() == 0


def test_an_unpublished_page_is_refused(campaign, page):
    page.is_published = False
    page.save()

    with pytest.raises(ValidationError) as error:
        _form_creative(None, campaign, page)

    assert error.value.message_dict == {
        "landing_page": ["This landing page is not published; publish it first."]
    }


def test_the_rep_must_be_an_active_rep_with_availability(campaign, rep_a, marketer):
    def refused(user) -> str:
        with pytest.raises(ValidationError) as error:
            booking_creative(campaign, user)
        return error.value.message_dict["booking_user"][0]

    assert refused(rep_a) == "Rep_A has not set any availability yet (Sales → Availability)."
    monday_mornings(marketer)
    assert refused(marketer) == "Only active sales reps and managers can be booked."
    monday_mornings(rep_a)
    rep_a.is_active = False
    rep_a.save()
    assert refused(rep_a) == "Only active sales reps and managers can be booked."
    assert Creative.objects.count() == 0


def test_an_inactive_product_is_refused(campaign):
    product = product_update(actor=None, product=make_product(), is_active=False)

    with pytest.raises(ValidationError) as error:
        buy_creative(campaign, product)

    assert error.value.message_dict == {"product": ["This product is inactive; activate it first."]}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the creative a name."),
        ("!!!", "Use a name with letters or digits"),
        ("linkedin CAROUSEL a", "already has a creative named “LinkedIn carousel A”"),
        ("LinkedIn carousel-A", "already has a creative named “LinkedIn carousel A”"),
    ],
)
def test_names_must_be_usable_and_unique_in_the_campaign(campaign, page, name, message):
    _form_creative(None, campaign, page)

    with pytest.raises(ValidationError) as error:
        _form_creative(None, campaign, page, name=name)

    assert message in error.value.message_dict["name"][0]
    assert Creative.objects.count() == 1
    assert TrackedLink.objects.count() == 1


def test_the_same_name_is_fine_in_another_campaign(campaign, page):
    _form_creative(None, campaign, page)

    _form_creative(None, make_campaign("Autumn"), page)

    assert Creative.objects.count() == 2


def test_only_marketers_and_admins_manage_creatives(campaign, page, rep_a, manager_a, admin_user):
    for actor in (rep_a, manager_a):
        with pytest.raises(PermissionDenied):
            _form_creative(actor, campaign, page)
    creative = _form_creative(admin_user, campaign, page)
    with pytest.raises(PermissionDenied):
        creative_update(actor=rep_a, creative=creative, headline="Hacked")

    creative.refresh_from_db()
    assert creative.headline == "Grow faster"
    assert Creative.objects.count() == 1


def test_an_update_changes_copy_and_target_but_keeps_the_link(campaign, marketer):
    # Given a buy-now creative
    first, second = make_product(), make_product(name="Team plan", sku="TEAM")
    creative = buy_creative(campaign, first)
    link = creative.link

    # When the marketer renames it and switches the product
    updated = creative_update(
        actor=marketer,
        creative=creative,
        name=" Starter ad v2 ",
        headline="New headline",
        product=second,
    )

    # Then the copy and product change, and the link (already in the ad) stays as it was
    updated.refresh_from_db()
    assert (updated.name, updated.headline, updated.product) == (
        "Starter ad v2",
        "New headline",
        second,
    )
    assert updated.link == link
    link.refresh_from_db()
    assert link.utm_content == "starter-ad"
    assert link.destination_url == f"{BASE}/buy/{creative_selectors.creative_public_key(creative)}"


def test_the_action_cannot_change_and_a_bad_update_changes_nothing(campaign, marketer):
    creative = buy_creative(campaign, make_product())

    with pytest.raises(ValidationError, match="cannot be changed here: cta_action"):
        creative_update(actor=marketer, creative=creative, cta_action=CtaAction.FORM)
    with pytest.raises(ValidationError) as error:
        creative_update(actor=marketer, creative=creative, headline="New", cta_label="  ")

    assert list(error.value.message_dict) == ["cta_label"]
    creative.refresh_from_db()
    assert (creative.headline, creative.cta_label, creative.cta_action) == (
        "Start today",
        "Buy now",
        "buy_now",
    )
