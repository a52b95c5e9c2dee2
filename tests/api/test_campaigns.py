from decimal import Decimal

import pytest
from django.conf import settings
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


# --- Delete, creatives, spend rows and spend imports -------------------------------------------


@pytest.fixture
def lp(marketer):
    from revline.content.models import LandingPage
    from revline.content.services import landing_page_save

    return landing_page_save(
        actor=marketer, page=LandingPage(slug="spring", title="Spring", headline="Hi")
    )


@pytest.mark.django_db
def test_marketer_deletes_a_campaign_without_history(api_as, marketer, spring):
    from revline.audit.models import AuditEntry

    assert api_as(marketer).delete(f"/campaigns/{spring.pk}").status_code == 204
    assert not Campaign.objects.exists()
    assert AuditEntry.objects.filter(object_type="campaigns.campaign", action="delete").count() == 1


@pytest.mark.django_db
def test_a_campaign_with_spend_is_not_deleted(api_as, marketer, spring):
    api = api_as(marketer)
    api.post(f"/campaigns/{spring.pk}/spend", {"date": "2025-01-02", "spend": "10"})
    response = api.delete(f"/campaigns/{spring.pk}")
    assert (response.status_code, error_fields(response)) == (422, ["campaign"])
    assert Campaign.objects.filter(pk=spring.pk).exists()


@pytest.mark.django_db
def test_sales_people_cannot_delete_campaigns(api_as, rep_a, spring):
    assert api_as(rep_a).delete(f"/campaigns/{spring.pk}").status_code == 403
    assert Campaign.objects.filter(pk=spring.pk).exists()
    assert api_as(rep_a).delete("/campaigns/999999").status_code == 403


@pytest.mark.django_db
def test_unknown_campaign_delete_is_404(api_as, marketer):
    assert api_as(marketer).delete("/campaigns/999999").status_code == 404


@pytest.mark.django_db
def test_marketer_manages_creatives(api_as, marketer, rep_a, spring, lp):
    from revline.campaigns.models import Creative

    api = api_as(marketer)
    created = api.post(
        f"/campaigns/{spring.pk}/creatives",
        {"name": "Search ad A", "cta_label": "Get the demo", "cta_action": "form",
         "landing_page_id": lp.pk},
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    creative = Creative.objects.get()
    assert (body["id"], body["landing_page"]["slug"], body["cta_url"]) == (
        creative.pk, "spring", f"{settings.BASE_URL}/lp/spring",
    )  # fmt: skip
    assert body["tracked_url"].startswith(f"{settings.BASE_URL}/")
    listed = api_as(rep_a).get(f"/campaigns/{spring.pk}/creatives", {"q": "search"}).json()
    assert [row["id"] for row in listed["items"]] == [creative.pk]
    assert api_as(rep_a).get(f"/campaigns/creatives/{creative.pk}").status_code == 200
    patched = api.patch(f"/campaigns/creatives/{creative.pk}", {"headline": "Faster"})
    assert (patched.status_code, patched.json()["headline"]) == (200, "Faster")
    refused = api.patch(f"/campaigns/creatives/{creative.pk}", {"cta_action": "buy_now"})
    assert (refused.status_code, error_fields(refused)) == (422, ["cta_action"])
    assert api.delete(f"/campaigns/creatives/{creative.pk}").status_code == 204
    assert not Creative.objects.exists()


@pytest.mark.django_db
def test_bad_creative_is_422_and_creates_nothing(api_as, marketer, spring):
    from revline.campaigns.models import Creative

    api = api_as(marketer)
    no_page = api.post(
        f"/campaigns/{spring.pk}/creatives",
        {"name": "Ad", "cta_label": "Go", "cta_action": "form"},
    )
    assert (no_page.status_code, error_fields(no_page)) == (422, ["landing_page"])
    bad_id = api.post(
        f"/campaigns/{spring.pk}/creatives",
        {"name": "Ad", "cta_label": "Go", "cta_action": "form", "landing_page_id": 999},
    )
    assert (bad_id.status_code, error_fields(bad_id)) == (422, ["landing_page_id"])
    assert not Creative.objects.exists()


@pytest.mark.django_db
def test_sales_people_cannot_manage_creatives(api_as, marketer, rep_a, spring, lp):
    from revline.campaigns.creative_services import creative_create
    from revline.campaigns.models import Creative

    creative = creative_create(
        actor=marketer, campaign=spring, name="Ad", cta_label="Go", cta_action="form",
        landing_page=lp,
    )  # fmt: skip
    api = api_as(rep_a)
    body = {"name": "X", "cta_label": "Go", "cta_action": "form", "landing_page_id": lp.pk}
    assert api.post(f"/campaigns/{spring.pk}/creatives", body).status_code == 403
    assert api.patch(f"/campaigns/creatives/{creative.pk}", {"name": "X"}).status_code == 403
    assert api.delete(f"/campaigns/creatives/{creative.pk}").status_code == 403
    assert list(Creative.objects.values_list("name", flat=True)) == ["Ad"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/campaigns/999999/creatives", None),
        (
            "post",
            "/campaigns/999999/creatives",
            {"name": "A", "cta_label": "G", "cta_action": "form"},
        ),
        ("get", "/campaigns/creatives/999999", None),
        ("patch", "/campaigns/creatives/999999", {"name": "X"}),
        ("delete", "/campaigns/creatives/999999", None),
        ("get", "/campaigns/CAMPAIGN/spend/999999", None),
        ("patch", "/campaigns/CAMPAIGN/spend/999999", {"clicks": 1}),
        ("get", "/campaigns/spend-imports/999999", None),
    ],
)
@pytest.mark.django_db
def test_unknown_ids_are_404(api_as, marketer, spring, method, path, body):
    api = api_as(marketer)
    path = path.replace("CAMPAIGN", str(spring.pk))
    response = getattr(api, method)(path, *([] if body is None else [body]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_marketer_reads_and_corrects_a_spend_row(api_as, marketer, rep_a, spring):
    api = api_as(marketer)
    row = api.post(f"/campaigns/{spring.pk}/spend", {"date": "2025-01-02", "spend": "10"}).json()
    assert api_as(rep_a).get(f"/campaigns/{spring.pk}/spend/{row['id']}").json()["spend"] == "10.00"
    patched = api.patch(f"/campaigns/{spring.pk}/spend/{row['id']}", {"spend": "12.5", "clicks": 3})
    assert (patched.status_code, patched.json()["spend"], patched.json()["clicks"]) == (
        200, "12.50", 3,
    )  # fmt: skip
    bad = api.patch(f"/campaigns/{spring.pk}/spend/{row['id']}", {"spend": "-1"})
    assert (bad.status_code, error_fields(bad)) == (422, ["spend"])
    denied = api_as(rep_a).patch(f"/campaigns/{spring.pk}/spend/{row['id']}", {"clicks": 9})
    assert denied.status_code == 403
    assert api.get(f"/campaigns/{spring.pk}/spend/{row['id']}").json()["clicks"] == 3


@pytest.mark.django_db
def test_spend_imports_are_listed_for_marketers_only(api_as, marketer, rep_a, admin_user):
    from django.utils import timezone

    from revline.campaigns.models import SpendImport

    mine = SpendImport.objects.create(
        file_name="a.csv", file_sha256="0" * 64, layout="generic", uploaded_by=marketer
    )
    done = SpendImport.objects.create(
        file_name="b.csv", file_sha256="1" * 64, layout="google_ads", uploaded_by=admin_user,
        committed_at=timezone.now(), row_count=4,
    )  # fmt: skip
    others_draft = SpendImport.objects.create(
        file_name="c.csv", file_sha256="2" * 64, layout="generic", uploaded_by=admin_user
    )
    api = api_as(marketer)
    listed = api.get("/campaigns/spend-imports").json()
    assert sorted(row["id"] for row in listed["items"]) == sorted([mine.pk, done.pk])
    assert api.get(f"/campaigns/spend-imports/{done.pk}").json()["status"] == "committed"
    assert api.get(f"/campaigns/spend-imports/{others_draft.pk}").status_code == 404
    assert api.get("/campaigns/spend-imports", {"status": "bogus"}).status_code == 422
    assert api_as(rep_a).get("/campaigns/spend-imports").status_code == 403
    assert api_as(admin_user).get("/campaigns/spend-imports").json()["total"] == 3
