"""Media contacts, press releases, coverage and the PR report over the JSON API."""

from datetime import date

import pytest

from revline.pr.models import Coverage, MediaContact, MediaInteraction, PressRelease
from revline.pr.services import coverage_create
from tests.api.conftest import ApiClient, error_fields

from .conftest import D0

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as():
    from revline.core.services import api_token_issue

    def make(user) -> ApiClient:
        return ApiClient(api_token_issue(user=user, name="tests").raw)

    return make


def test_every_pr_route_needs_a_token():
    anonymous = ApiClient(None)
    for path in ("/pr/media-contacts", "/pr/releases", "/pr/coverage", "/pr/report"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == "Bearer"
    assert anonymous.post("/pr/releases", {"title": "x"}).status_code == 401
    assert PressRelease.objects.count() == 0


# --- Media contacts ----------------------------------------------------------------------------


def test_marketer_creates_and_reads_a_media_contact(api_as, marketer):
    api = api_as(marketer)
    response = api.post(
        "/pr/media-contacts",
        {"name": " Ada ", "outlet": "TechDaily", "email": "ADA@tech.test", "owner_id": marketer.pk},
    )
    assert response.status_code == 201
    contact = MediaContact.objects.get()
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "id": contact.pk,
        "name": "Ada",
        "outlet": "TechDaily",
        "beat": "",
        "email": "ada@tech.test",
        "phone": "",
        "notes": "",
        "owner": {"id": marketer.pk, "name": "Marketer", "email": "marketer@example.com"},
    }
    assert api.get(f"/pr/media-contacts/{contact.pk}").json()["name"] == "Ada"
    assert api.get("/pr/media-contacts/999").status_code == 404


def test_media_contacts_are_listed_searched_and_filtered(api_as, rep_a, press):
    api = api_as(rep_a)
    listed = api.get("/pr/media-contacts").json()
    assert [c["name"] for c in listed["items"]] == ["Ada Lovelace", "Ben Okri", "Cleo Park"]
    assert listed["total"] == 3
    assert [c["name"] for c in api.get("/pr/media-contacts", {"q": "fintech"}).json()["items"]] == [
        "Ben Okri"
    ]
    names = [
        c["name"]
        for c in api.get("/pr/media-contacts", {"outlet": "TECHDAILY", "sort": "-name"}).json()[
            "items"
        ]
    ]
    assert names == ["Cleo Park", "Ada Lovelace"]
    assert api.get("/pr/media-contacts", {"sort": "password"}).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outlet": "O"}, "name"),
        ({"name": "N"}, "outlet"),
        ({"name": "n" * 201, "outlet": "O"}, "name"),
        ({"name": "N", "outlet": "O", "email": "<script>"}, "email"),
        ({"name": "N", "outlet": "O", "owner_id": 99999}, "owner_id"),
        ({"name": "N", "outlet": "O", "owner_id": 2**70}, "owner_id"),
        ({"name": "N", "outlet": "O", "id": 5}, "id"),
    ],
)
def test_bad_media_contact_is_422_naming_the_field(api_as, marketer, body, field):
    response = api_as(marketer).post("/pr/media-contacts", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert MediaContact.objects.count() == 0


def test_interactions_are_logged_and_listed(api_as, marketer, press):
    api = api_as(marketer)
    response = api.post(
        f"/pr/media-contacts/{press.ada.pk}/interactions",
        {"kind": "pitch", "summary": "Pitched", "occurred_on": "2025-01-02"},
    )
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["by"]["id"]) == ("pitch", marketer.pk)
    history = api.get(f"/pr/media-contacts/{press.ada.pk}/interactions").json()
    assert [(i["kind"], i["occurred_on"]) for i in history] == [("pitch", "2025-01-02")]
    bad = api.post(
        f"/pr/media-contacts/{press.ada.pk}/interactions",
        {"kind": "release", "summary": "Forged"},
    )
    assert bad.status_code == 422
    assert error_fields(bad) == ["kind"]
    assert MediaInteraction.objects.count() == 1


# --- Press releases ----------------------------------------------------------------------------


def test_marketer_creates_a_draft_with_a_sanitised_body(api_as, marketer, launch):
    response = api_as(marketer).post(
        "/pr/releases",
        {
            "title": "Launch",
            "body": "<p>Hi<script>alert(1)</script><img src=x onerror=alert(1)></p>",
            "campaign_id": launch.pk,
            "embargo_until": "2025-04-01T09:00:00Z",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["body"], body["campaign"], body["embargo_until"]) == (
        "draft",
        "<p>Hi</p>",
        {"id": launch.pk, "name": "Spring launch"},
        "2025-04-01T09:00:00Z",
    )
    assert (body["recipients"], body["transitions"]) == ([], [])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"title": "T", "summary": "s" * 1001}, "summary"),
        ({"title": "T", "body": "b" * 100_001}, "body"),
        ({"title": "T", "campaign_id": 424242}, "campaign_id"),
        ({"title": "T", "embargo_until": "2025-02-30T00:00:00"}, "embargo_until"),
        ({"title": "T", "status": "approved"}, "status"),
    ],
)
def test_bad_release_is_422_naming_the_field(api_as, marketer, body, field):
    response = api_as(marketer).post("/pr/releases", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert PressRelease.objects.count() == 0


def test_the_workflow_over_the_api(api_as, marketer, admin_user, press):
    api = api_as(marketer)
    release_id = api.post("/pr/releases", {"title": "Launch"}).json()["id"]
    path = f"/pr/releases/{release_id}"

    # Refused: draft → approved
    refused = api.post(path + "/transition", {"to_status": "approved"})
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": [
            {
                "loc": ["body", "status"],
                "msg": "A release that is draft cannot move to approved.",
                "type": "value_error",
            }
        ]
    }
    assert api.get(path).json()["status"] == "draft"

    assert api.post(path + "/transition", {"to_status": "review"}).json()["status"] == "review"
    approved = api_as(admin_user).post(path + "/transition", {"to_status": "approved"}).json()
    assert approved["status"] == "approved"
    assert [(t["from_status"], t["to_status"], t["by"]["id"]) for t in approved["transitions"]] == [
        ("draft", "review", marketer.pk),
        ("review", "approved", admin_user.pk),
    ]

    # Unknown recipient: 422 and nothing recorded
    bad = api.post(path + "/distribute", {"recipient_ids": [press.ada.pk, 999999]})
    assert bad.status_code == 422
    assert error_fields(bad) == ["recipient_ids"]
    assert api.post(path + "/distribute", {"recipient_ids": []}).status_code == 422
    assert api.get(path).json()["status"] == "approved"

    done = api.post(path + "/distribute", {"recipient_ids": [press.ben.pk, press.ada.pk]})
    assert done.status_code == 200
    assert done.json()["status"] == "distributed"
    assert [r["name"] for r in done.json()["recipients"]] == ["Ben Okri", "Ada Lovelace"]
    assert MediaInteraction.objects.filter(release_id=release_id).count() == 2
    again = api.post(path + "/distribute", {"recipient_ids": [press.cleo.pk]})
    assert again.status_code == 422
    assert MediaInteraction.objects.filter(release_id=release_id).count() == 2


def test_releases_are_listed_and_filtered(api_as, rep_a, releases, launch):
    api = api_as(rep_a)
    titles = [r["title"] for r in api.get("/pr/releases", {"sort": "title"}).json()["items"]]
    assert titles == ["Approved news", "Big launch", "Draft news", "Review news"]
    assert [r["title"] for r in api.get("/pr/releases", {"status": "review"}).json()["items"]] == [
        "Review news"
    ]
    by_campaign = api.get("/pr/releases", {"campaign_id": launch.pk, "sort": "title"}).json()
    assert [r["title"] for r in by_campaign["items"]] == ["Approved news", "Big launch"]
    assert api.get("/pr/releases", {"status": "published"}).status_code == 422
    assert api.get(f"/pr/releases/{releases.distributed.pk}").json()["distributed_at"] == (
        "2025-03-03T09:00:00Z"
    )


@pytest.mark.parametrize("who", ["rep_a", "manager_a"])
def test_sales_people_get_403_on_every_pr_write(api_as, request, press, releases, who):
    api = api_as(request.getfixturevalue(who))
    writes = [
        ("/pr/media-contacts", {"name": "N", "outlet": "O"}),
        (f"/pr/media-contacts/{press.ada.pk}/interactions", {"kind": "call", "summary": "x"}),
        ("/pr/releases", {"title": "Mine"}),
        (f"/pr/releases/{releases.review.pk}/transition", {"to_status": "approved"}),
        (f"/pr/releases/{releases.approved.pk}/distribute", {"recipient_ids": [press.ada.pk]}),
        ("/pr/coverage", {"title": "T", "outlet": "O", "published_on": "2025-01-01"}),
    ]
    for path, body in writes:
        response = api.post(path, body)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "Only marketers and admins manage PR."}
    assert (
        MediaContact.objects.count(),
        PressRelease.objects.count(),
        Coverage.objects.count(),
    ) == (
        3,
        4,
        0,
    )
    releases.review.refresh_from_db()
    assert releases.review.status == "review"


# --- Coverage ----------------------------------------------------------------------------------


def test_marketer_logs_coverage(api_as, marketer, releases, press, launch):
    response = api_as(marketer).post(
        "/pr/coverage",
        {
            "title": "Revline launches",
            "outlet": "TechDaily",
            "url": "https://techdaily.test/a",
            "published_on": "2025-03-04",
            "reach": 5000,
            "sentiment": "positive",
            "competitors": ["Acme", "acme", "Globex"],
            "release_id": releases.distributed.pk,
            "media_contact_id": press.ada.pk,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert {k: v for k, v in body.items() if k != "created_at"} == {
        "id": Coverage.objects.get().pk,
        "title": "Revline launches",
        "outlet": "TechDaily",
        "url": "https://techdaily.test/a",
        "published_on": "2025-03-04",
        "reach": 5000,
        "sentiment": "positive",
        "about_us": True,
        "competitors": ["Acme", "Globex"],
        "release": {"id": releases.distributed.pk, "title": "Big launch", "status": "distributed"},
        "campaign": {"id": launch.pk, "name": "Spring launch"},
        "media_contact": {"id": press.ada.pk, "name": "Ada Lovelace", "outlet": "TechDaily"},
        "notes": "",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://" + "a" * 2000}, "url"),
        ({"reach": -1}, "reach"),
        ({"reach": 10**12}, "reach"),
        ({"published_on": "2025-02-30"}, "published_on"),
        ({"published_on": "3000-01-01"}, "published_on"),
        ({"sentiment": "ecstatic"}, "sentiment"),
        ({"competitors": ["x" * 101]}, "competitors"),
        ({"competitors": [f"c{i}" for i in range(21)]}, "competitors"),
        ({"about_us": False}, "about_us"),
        ({"release_id": 4242}, "release_id"),
        ({"media_contact_id": 4242}, "media_contact_id"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_coverage_is_422_naming_the_field(api_as, marketer, changes, field):
    body = {"title": "T", "outlet": "O", "published_on": "2025-01-01", **changes}
    response = api_as(marketer).post("/pr/coverage", body)
    assert response.status_code == 422
    # A bad list item is located by the list's name, then the item's index
    named = [
        next(str(p) for p in reversed(e["loc"]) if isinstance(p, str))
        for e in response.json()["detail"]
    ]
    assert named == [field]
    assert Coverage.objects.count() == 0


def test_coverage_is_listed_and_filtered(api_as, rep_a):
    coverage_create(actor=None, outlet="A", title="One", published_on=date(2025, 1, 1), reach=5)
    coverage_create(
        actor=None,
        outlet="B",
        title="Two",
        published_on=date(2025, 2, 1),
        about_us=False,
        competitors=["Acme"],
        sentiment="negative",
    )
    api = api_as(rep_a)
    assert [c["title"] for c in api.get("/pr/coverage").json()["items"]] == ["Two", "One"]
    assert [c["title"] for c in api.get("/pr/coverage", {"about_us": "false"}).json()["items"]] == [
        "Two"
    ]
    assert [
        c["title"] for c in api.get("/pr/coverage", {"competitor": "ACME"}).json()["items"]
    ] == ["Two"]
    assert [
        c["title"] for c in api.get("/pr/coverage", {"published_to": "2025-01-31"}).json()["items"]
    ] == ["One"]
    assert [
        c["title"] for c in api.get("/pr/coverage", {"sentiment": "negative"}).json()["items"]
    ] == ["Two"]
    entry_id = api.get("/pr/coverage").json()["items"][0]["id"]
    assert api.get(f"/pr/coverage/{entry_id}").json()["competitors"] == ["Acme"]


def test_the_report_gives_the_monthly_series_and_share_of_voice(api_as, rep_a):
    coverage_create(actor=None, outlet="A", title="One", published_on=D0, reach=100)
    coverage_create(
        actor=None,
        outlet="B",
        title="Two",
        published_on=date(2025, 1, 15),
        reach=300,
        about_us=False,
        competitors=["Acme", "Globex"],
    )
    response = api_as(rep_a).get("/pr/report", {"start": "2025-01-01", "end": "2025-03-31"})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2025-01-01",
        "end": "2025-03-31",
        "months": [
            {
                "month": "2025-01-01",
                "coverage": 0,
                "reach": 0,
                "positive": 0,
                "neutral": 0,
                "negative": 0,
            },
            {
                "month": "2025-02-01",
                "coverage": 0,
                "reach": 0,
                "positive": 0,
                "neutral": 0,
                "negative": 0,
            },
            {
                "month": "2025-03-01",
                "coverage": 1,
                "reach": 100,
                "positive": 0,
                "neutral": 1,
                "negative": 0,
            },
        ],
        "share_of_voice": [
            {
                "name": "Us",
                "is_us": True,
                "mentions": 1,
                "share": 33.3,
                "reach": 100,
                "reach_share": 14.3,
            },
            {
                "name": "Acme",
                "is_us": False,
                "mentions": 1,
                "share": 33.3,
                "reach": 300,
                "reach_share": 42.9,
            },
            {
                "name": "Globex",
                "is_us": False,
                "mentions": 1,
                "share": 33.3,
                "reach": 300,
                "reach_share": 42.9,
            },
        ],
        "total_mentions": 3,
    }
    bad = api_as(rep_a).get("/pr/report", {"start": "2025-03-01", "end": "2025-01-01"})
    assert bad.status_code == 422
    assert api_as(rep_a).get("/pr/report", {"start": "2025-02-30"}).status_code == 422
