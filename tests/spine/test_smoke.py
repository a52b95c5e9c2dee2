from decimal import Decimal

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.content.models import LandingPage
from revline.people.models import Contact
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.services import link_create

from ..conftest import PASSWORD


@pytest.mark.django_db
def test_spine_end_to_end_through_http(client, rep_a, marketer):
    campaign = Campaign.objects.create(
        name="Spring",
        channel=Channel.PAID_SEARCH,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring",
    )
    LandingPage.objects.create(
        slug="spring", title="Spring", headline="Grow faster", campaign=campaign
    )
    link = link_create(
        actor=marketer, campaign=campaign, destination_url="https://shop.example/lp/spring?x=1"
    )
    response = client.get(f"/t/c/{link.token}")
    assert response.status_code == 302
    assert (
        response["Location"]
        == "https://shop.example/lp/spring?x=1&utm_source=google&utm_medium=cpc&utm_campaign=spring"
    )
    assert client.get("/lp/spring").status_code == 200
    response = client.post(
        "/lp/spring", {"first_name": "Ada", "email": "ADA@example.com", "consent": "on"}
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.email == "ada@example.com"
    assert contact.lifecycle_stage == "lead"
    assert contact.touchpoints.count() == 3
    client.force_login(rep_a)
    deal = deal_create(actor=rep_a, name="Ada deal", amount=Decimal("1000"), contact=contact)
    deal_close_won(actor=rep_a, deal=deal, note="Great fit")
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "customer"
    response = client.get("/reports/attribution/")
    assert response.status_code == 200
    assert b"Spring" in response.content
    assert client.get("/").status_code == 200
    assert client.get("/settings/tokens/").status_code == 200
    assert client.login(username="rep_a", password=PASSWORD)
