from decimal import Decimal

import pytest
from django.test import override_settings

from revline.campaigns.models import Campaign
from revline.campaigns.services import campaign_create
from revline.tracking.models import TrackedLink

from .conftest import error_fields


@pytest.fixture
def spring(db) -> Campaign:
    return campaign_create(
        actor=None,
        name="Spring launch",
        channel="paid_search",
        budget=Decimal("5000"),
        utm_campaign="spring",
    )


@pytest.mark.django_db
def test_marketer_creates_a_campaign_with_utm_defaults(api_as, marketer):
    # When
    response = api_as(marketer).post(
        "/campaigns",
        {
            "name": "Summer Sale",
            "channel": "email",
            "budget": "1200.5",
            "start_date": "2025-06-01",
            "end_date": "2025-06-30",
            "owner_id": marketer.pk,
        },
    )
    # Then
    assert response.status_code == 201
    campaign = Campaign.objects.get()
    assert {k: v for k, v in response.json().items() if k not in ("created_at", "updated_at")} == {
        "id": campaign.pk,
        "name": "Summer Sale",
        "objective": "leads",
        "audience": "",
        "channel": "email",
        "status": "planned",
        "description": "",
        "start_date": "2025-06-01",
        "end_date": "2025-06-30",
        "budget": "1200.50",
        "currency": "EUR",
        "owner": {"id": marketer.pk, "name": "Marketer", "email": "marketer@example.com"},
        "goal_leads": None,
        "goal_mqls": None,
        "goal_sqls": None,
        "goal_pipeline": None,
        "goal_revenue": None,
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "summer-sale",
        "utm_content": "",
        "utm_term": "",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["rep_a", "manager_a"])
def test_sales_people_cannot_create_or_change_campaigns(api_as, request, spring, who):
    api = api_as(request.getfixturevalue(who))
    response = api.post("/campaigns", {"name": "Mine", "channel": "email"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only marketers and admins manage campaigns."}
    assert api.patch(f"/campaigns/{spring.pk}", {"name": "Hijacked"}).status_code == 403
    assert (
        api.post(f"/campaigns/{spring.pk}/links", {"destination_url": "https://x.test"}).status_code
        == 403
    )
    assert list(Campaign.objects.values_list("name", flat=True)) == ["Spring launch"]
    assert TrackedLink.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "email"}, "name"),
        ({"name": "X"}, "channel"),
        ({"name": "X", "channel": "carrier_pigeon"}, "channel"),
        ({"name": "X", "channel": "email", "status": "paused"}, "status"),
        ({"name": "X", "channel": "email", "budget": "-1"}, "budget"),
        ({"name": "X", "channel": "email", "currency": "€"}, "currency"),
        ({"name": "X", "channel": "email", "utm_source": "s" * 101}, "utm_source"),
        (
            {"name": "X", "channel": "email", "start_date": "2025-06-10", "end_date": "2025-06-01"},
            "end_date",
        ),
    ],
)
def test_bad_campaign_is_422_naming_the_field(api_as, marketer, body, field):
    response = api_as(marketer).post("/campaigns", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_list_and_get_campaigns(api_as, rep_a, spring):
    # Given
    other = campaign_create(actor=None, name="Webinar", channel="events", status="active")
    api = api_as(rep_a)
    # Then: everyone may read
    listed = api.get("/campaigns", {"sort": "name"}).json()
    assert [c["id"] for c in listed["items"]] == [spring.pk, other.pk]
    assert listed["total"] == 2
    assert [c["id"] for c in api.get("/campaigns", {"channel": "events"}).json()["items"]] == [
        other.pk
    ]
    assert [c["id"] for c in api.get("/campaigns", {"status": "planned"}).json()["items"]] == [
        spring.pk
    ]
    assert [c["id"] for c in api.get("/campaigns", {"q": "SPRING"}).json()["items"]] == [spring.pk]
    assert api.get(f"/campaigns/{spring.pk}").json()["budget"] == "5000.00"
    assert api.get("/campaigns/999").status_code == 404
    assert api.get("/campaigns", {"channel": "tv"}).status_code == 422


@pytest.mark.django_db
def test_patch_campaign(api_as, marketer, spring):
    response = api_as(marketer).patch(
        f"/campaigns/{spring.pk}", {"status": "active", "budget": "7000"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["budget"], response.json()["name"]) == (
        "active",
        "7000.00",
        "Spring launch",
    )
    spring.refresh_from_db()
    assert (spring.status, spring.budget, spring.utm_campaign) == (
        "active",
        Decimal("7000.00"),
        "spring",
    )


@pytest.mark.django_db
def test_patch_campaign_with_end_before_start_is_422_and_changes_nothing(api_as, marketer, spring):
    api = api_as(marketer)
    api.patch(f"/campaigns/{spring.pk}", {"start_date": "2025-03-10"})
    response = api.patch(f"/campaigns/{spring.pk}", {"end_date": "2025-03-01", "name": "Renamed"})
    assert response.status_code == 422
    assert error_fields(response) == ["end_date"]
    spring.refresh_from_db()
    assert (spring.name, spring.end_date) == ("Spring launch", None)


@pytest.mark.django_db
@override_settings(BASE_URL="https://crm.example.com")
def test_create_and_list_tracked_links(api_as, marketer, rep_a, spring):
    # When
    response = api_as(marketer).post(
        f"/campaigns/{spring.pk}/links",
        {
            "destination_url": "https://shop.example/lp?x=1",
            "label": "Hero banner",
            "utm_content": "Hero",
        },
    )
    # Then
    assert response.status_code == 201
    link = TrackedLink.objects.get()
    expected = {
        "id": link.pk,
        "campaign_id": spring.pk,
        "label": "Hero banner",
        "url": f"https://crm.example.com/t/c/{link.token}",
        "destination_url": "https://shop.example/lp?x=1",
        "redirect_url": "https://shop.example/lp?x=1&utm_source=google&utm_medium=cpc"
        "&utm_campaign=spring&utm_content=hero",
        "utm_content": "hero",
        "utm_term": "",
        "is_active": True,
    }
    assert {k: v for k, v in response.json().items() if k != "created_at"} == expected
    # And: anyone may list them
    listed = api_as(rep_a).get(f"/campaigns/{spring.pk}/links").json()
    assert [{k: v for k, v in item.items() if k != "created_at"} for item in listed] == [expected]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.test/x",
        "https://user:pw@evil.test/",
        "not a url",
        "https://ok.test/\r\nSet-Cookie: x",
        "",
    ],
)
def test_link_to_a_bad_destination_is_422_and_creates_nothing(api_as, marketer, spring, url):
    response = api_as(marketer).post(f"/campaigns/{spring.pk}/links", {"destination_url": url})
    assert response.status_code == 422
    assert error_fields(response) == ["destination_url"]
    assert TrackedLink.objects.count() == 0


@pytest.mark.django_db
def test_links_of_an_unknown_campaign_are_404(api_as, marketer):
    api = api_as(marketer)
    assert api.get("/campaigns/999/links").status_code == 404
    assert (
        api.post("/campaigns/999/links", {"destination_url": "https://x.test"}).status_code == 404
    )
