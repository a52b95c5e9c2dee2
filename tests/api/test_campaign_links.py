"""Reading, changing and deleting one tracked link over the API (revline.campaigns.api)."""

from decimal import Decimal

import pytest
from django.test import override_settings

from revline.audit.models import AuditEntry
from revline.campaigns.models import Campaign, Creative
from revline.campaigns.services import campaign_create
from revline.core.services import api_token_issue
from revline.tracking.models import Touchpoint, TrackedLink
from revline.tracking.services import RequestInfo, click_record, link_create

from .conftest import ApiClient, error_fields


@pytest.fixture
def spring(db) -> Campaign:
    return campaign_create(
        actor=None, name="Spring launch", channel="paid_search", budget=Decimal("5000")
    )


@pytest.fixture
def link(spring) -> TrackedLink:
    return link_create(
        actor=None,
        campaign=spring,
        destination_url="https://shop.example/lp",
        label="Hero banner",
        utm_content="hero",
    )


def path(link: TrackedLink) -> str:
    return f"/campaigns/{link.campaign_id}/links/{link.pk}"


def clicked(link: TrackedLink) -> Touchpoint:
    click_record(link=link, visitor_id=None, info=RequestInfo())
    return Touchpoint.objects.get(link=link)


@pytest.mark.django_db
@override_settings(BASE_URL="https://crm.example.com")
def test_anyone_reads_one_link(api_as, rep_a, link, spring):
    response = api_as(rep_a).get(path(link))
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "created_at"} == {
        "id": link.pk,
        "campaign_id": spring.pk,
        "label": "Hero banner",
        "url": f"https://crm.example.com/t/c/{link.token}",
        "destination_url": "https://shop.example/lp",
        "redirect_url": "https://shop.example/lp?utm_source=google&utm_medium=cpc"
        "&utm_campaign=spring-launch&utm_content=hero",
        "utm_content": "hero",
        "utm_term": "",
        "is_active": True,
    }


@pytest.mark.django_db
def test_a_link_of_another_campaign_or_unknown_is_404(api_as, marketer, link):
    other = campaign_create(actor=None, name="Other", channel="email")
    api = api_as(marketer)
    assert api.get(f"/campaigns/{other.pk}/links/{link.pk}").status_code == 404
    assert api.get(f"/campaigns/{link.campaign_id}/links/999999").status_code == 404
    assert api.patch(f"/campaigns/{other.pk}/links/{link.pk}", {"label": "x"}).status_code == 404
    assert api.delete(f"/campaigns/{other.pk}/links/{link.pk}").status_code == 404
    link.refresh_from_db()
    assert link.label == "Hero banner"


@pytest.mark.django_db
def test_marketer_changes_a_link_and_its_token_stays(api_as, marketer, link):
    # Given
    token = link.token
    # When
    response = api_as(marketer).patch(
        path(link),
        {
            "label": "Hero banner (May)",
            "destination_url": "https://shop.example/may",
            "utm_term": "Shoes",
            "is_active": False,
        },
    )
    # Then
    assert response.status_code == 200
    link.refresh_from_db()
    assert (link.token, link.label, link.destination_url, link.utm_term, link.is_active) == (
        token,
        "Hero banner (May)",
        "https://shop.example/may",
        "shoes",
        False,
    )
    assert response.json()["utm_term"] == "shoes"
    assert response.json()["is_active"] is False
    entry = AuditEntry.objects.get(action="update", object_type="tracking.trackedlink")
    assert entry.changes["label"] == ["Hero banner", "Hero banner (May)"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"destination_url": "javascript:alert(1)"}, "destination_url"),
        ({"destination_url": ""}, "destination_url"),
        ({"label": None}, "label"),
        ({"label": "x" * 201}, "label"),
        ({"token": "mine"}, "token"),
        ({"campaign_id": 1}, "campaign_id"),
    ],
)
def test_bad_link_changes_are_422_and_change_nothing(api_as, marketer, link, body, field):
    response = api_as(marketer).patch(path(link), body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    link.refresh_from_db()
    assert (link.label, link.destination_url) == ("Hero banner", "https://shop.example/lp")


@pytest.mark.django_db
def test_a_clicked_link_keeps_its_utm_values_but_may_change_destination(api_as, marketer, link):
    # Given
    clicked(link)
    api = api_as(marketer)
    # When
    refused = api.patch(path(link), {"utm_content": "other", "utm_term": "x"})
    same = api.patch(path(link), {"utm_content": "hero", "destination_url": "https://new.test/"})
    # Then
    assert refused.status_code == 422
    assert sorted(error_fields(refused)) == ["utm_content", "utm_term"]
    assert same.status_code == 200
    link.refresh_from_db()
    assert (link.utm_content, link.utm_term, link.destination_url) == (
        "hero",
        "",
        "https://new.test/",
    )


@pytest.mark.django_db
def test_a_creatives_link_keeps_its_destination(api_as, marketer, link, spring):
    # Given
    Creative.objects.create(
        campaign=spring, name="Banner", cta_label="Buy", cta_action="form", link=link
    )
    # When
    refused = api_as(marketer).patch(path(link), {"destination_url": "https://elsewhere.test/"})
    renamed = api_as(marketer).patch(path(link), {"label": "Banner link"})
    # Then
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == (
        "This link belongs to the creative “Banner”, which sets it; change the creative instead."
    )
    assert renamed.status_code == 200
    link.refresh_from_db()
    assert (link.destination_url, link.label) == ("https://shop.example/lp", "Banner link")


@pytest.mark.django_db
def test_only_marketers_change_or_delete_links(api_as, rep_a, link):
    api = api_as(rep_a)
    patched = api.patch(path(link), {"label": "Mine"})
    deleted = api.delete(path(link))
    assert (patched.status_code, deleted.status_code) == (403, 403)
    link.refresh_from_db()
    assert link.label == "Hero banner"


@pytest.mark.django_db
def test_a_read_only_token_cannot_change_links(marketer, link):
    api = ApiClient(api_token_issue(user=marketer, name="ro", scopes=["marketing:read"]).raw)
    assert api.get(path(link)).status_code == 200
    response = api.patch(path(link), {"label": "Mine"})
    assert response.status_code == 403
    assert response.json() == {"detail": "This token lacks the scope 'marketing:write'."}
    assert api.delete(path(link)).status_code == 403
    assert TrackedLink.objects.filter(pk=link.pk, label="Hero banner").exists()


@pytest.mark.django_db
def test_marketer_deletes_an_unclicked_link(api_as, marketer, link):
    response = api_as(marketer).delete(path(link))
    assert response.status_code == 204
    assert not TrackedLink.objects.exists()
    assert AuditEntry.objects.filter(
        action="delete", object_type="tracking.trackedlink", object_id=str(link.pk)
    ).exists()
    assert api_as(marketer).delete(path(link)).status_code == 404


@pytest.mark.django_db
def test_a_clicked_link_is_not_deleted_409(api_as, marketer, link):
    # Given
    touchpoint = clicked(link)
    # When
    response = api_as(marketer).delete(path(link))
    # Then
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This link has recorded clicks that reports rely on; deactivate it instead."
    }
    assert TrackedLink.objects.filter(pk=link.pk).exists()
    touchpoint.refresh_from_db()
    assert touchpoint.link_id == link.pk


@pytest.mark.django_db
def test_a_creatives_link_is_not_deleted_409(api_as, marketer, link, spring):
    Creative.objects.create(
        campaign=spring, name="Banner", cta_label="Buy", cta_action="form", link=link
    )
    response = api_as(marketer).delete(path(link))
    assert response.status_code == 409
    assert "creative “Banner”" in response.json()["detail"]
    assert TrackedLink.objects.filter(pk=link.pk).exists()
