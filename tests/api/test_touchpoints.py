"""Touchpoints over the API: read-only, filtered, and hidden with their contact."""

from datetime import UTC, datetime

import pytest

from revline.core.workspace import workspace_visibility_update
from revline.people.services import contact_create
from revline.tracking.models import Touchpoint, TouchpointKind
from revline.tracking.services import touchpoint_record

pytestmark = pytest.mark.django_db


def _touch(kind: str, contact=None, day: int = 1, params=None) -> Touchpoint:
    return touchpoint_record(
        kind=kind,
        visitor=None,
        contact=contact,
        occurred_at=datetime(2026, 3, day, 10, tzinfo=UTC),
        params=params,
        utm={"utm_source": "newsletter"},
    )


def test_lists_and_reads_touchpoints_newest_first(api_as, marketer, admin_user):
    ada = contact_create(actor=admin_user, email="ada@example.com")
    older = _touch(TouchpointKind.PAGE_VIEW, ada, day=1)
    newer = _touch(TouchpointKind.FORM_SUBMISSION, ada, day=2, params={"form": "demo"})
    client = api_as(marketer)

    listed = client.get("/touchpoints", {"contact_id": ada.pk}).json()
    one = client.get(f"/touchpoints/{newer.pk}").json()

    assert [item["id"] for item in listed["items"]] == [newer.pk, older.pk]
    assert listed["total"] == 2
    assert one["kind"] == "form_submission"
    assert one["params"] == {"form": "demo"}
    assert one["utm_source"] == "newsletter"
    assert one["occurred_at"].startswith("2026-03-02T10:00:00")


def test_filters_by_kind_and_time(api_as, marketer):
    _touch(TouchpointKind.PAGE_VIEW, day=1)
    click = _touch(TouchpointKind.CTA_CLICK, day=5)
    _touch(TouchpointKind.CTA_CLICK, day=9)
    client = api_as(marketer)

    found = client.get(
        "/touchpoints",
        {
            "kind": "cta_click",
            "occurred_after": "2026-03-02T00:00:00Z",
            "occurred_before": "2026-03-06T00:00:00Z",
        },
    ).json()

    assert [item["id"] for item in found["items"]] == [click.pk]


def test_bad_filters_are_422(api_as, marketer):
    client = api_as(marketer)

    assert client.get("/touchpoints", {"kind": "teleport"}).status_code == 422
    assert client.get("/touchpoints", {"occurred_after": "yesterday"}).status_code == 422


def test_unknown_touchpoint_is_404(api_as, marketer):
    assert api_as(marketer).get("/touchpoints/999999").status_code == 404


def test_touchpoints_are_read_only(api_as, admin_user):
    client = api_as(admin_user)

    assert client.post("/touchpoints", {"kind": "page_view"}).status_code == 405
    assert not Touchpoint.objects.exists()


def test_a_token_without_marketing_scope_is_refused(admin_user):
    from revline.core.services import api_token_issue

    from .conftest import ApiClient

    client = ApiClient(api_token_issue(user=admin_user, name="p", scopes=["people:read"]).raw)

    assert client.get("/touchpoints").status_code == 403


def test_touchpoints_of_hidden_contacts_are_hidden(api_as, admin_user, rep_a, rep_b):
    workspace_visibility_update(
        actor=admin_user, contact="own", company="all", deal="team", activity="all"
    )
    theirs = contact_create(actor=admin_user, email="b@example.com", owner=rep_b)
    mine = contact_create(actor=admin_user, email="a@example.com", owner=rep_a)
    hidden = _touch(TouchpointKind.PAGE_VIEW, theirs)
    shown = _touch(TouchpointKind.PAGE_VIEW, mine)
    anonymous = _touch(TouchpointKind.PAGE_VIEW)
    client = api_as(rep_a)

    listed = {item["id"] for item in client.get("/touchpoints").json()["items"]}

    assert listed == {shown.pk, anonymous.pk}
    assert client.get(f"/touchpoints/{hidden.pk}").status_code == 404
