"""Segments over the JSON API."""

import pytest

from revline.email.models import Email
from revline.segments.models import Segment
from revline.segments.services import segment_create

from ..api.conftest import api_as  # noqa: F401 - the fixture

VIP = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}


@pytest.mark.django_db
def test_marketer_creates_reads_updates_and_deletes(api_as, marketer, world):  # noqa: F811
    api = api_as(marketer)
    created = api.post("/segments", {"name": "VIPs", "definition": VIP})
    assert created.status_code == 201
    body = created.json()
    assert body["definition"] == {"match": "all", "conditions": [
        {"type": "tag", "tag": "vip", "negate": False}]}  # fmt: skip
    assert body["created_by"]["id"] == marketer.pk
    pk = body["id"]
    assert api.get(f"/segments/{pk}").json()["name"] == "VIPs"
    assert api.get(f"/segments/{pk}/count").json() == {"count": 1}
    members = api.get(f"/segments/{pk}/contacts").json()
    assert (members["total"], [c["email"] for c in members["items"]]) == (1, ["ada@acme.example"])
    patched = api.patch(f"/segments/{pk}", {"name": "Top"})
    assert patched.status_code == 200 and patched.json()["name"] == "Top"
    listed = api.get("/segments", {"q": "top"}).json()
    assert [s["id"] for s in listed["items"]] == [pk]
    assert api.delete(f"/segments/{pk}").status_code == 204
    assert Segment.objects.count() == 0


@pytest.mark.django_db
def test_bad_definition_is_a_422_naming_the_condition(api_as, marketer):  # noqa: F811
    response = api_as(marketer).post(
        "/segments", {"name": "Bad", "definition": {"conditions": [{"type": "email_opened"}]}}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "definition"],
            "msg": "Condition 1 (Opened any email): the number of days must be a whole number.",
            "type": "value_error",
        }
    ]
    assert Segment.objects.count() == 0


@pytest.mark.django_db
def test_live_count_for_any_definition(api_as, rep_a, world):  # noqa: F811
    api = api_as(rep_a)
    definition = {"match": "any", "conditions": [
        {"type": "tag", "tag": "vip"}, {"type": "consent", "purpose": "phone_calls"}]}  # fmt: skip
    assert api.post("/segments/count", {"definition": definition}).json() == {"count": 2}
    bad = api.post("/segments/count", {"definition": {"match": "nope", "conditions": []}})
    assert bad.status_code == 422


@pytest.mark.django_db
def test_reps_read_but_do_not_write(api_as, rep_a, world):  # noqa: F811
    segment = segment_create(actor=None, name="VIPs", definition=VIP)
    api = api_as(rep_a)
    assert api.get(f"/segments/{segment.pk}").status_code == 200
    assert api.post("/segments", {"name": "x", "definition": VIP}).status_code == 403
    assert api.patch(f"/segments/{segment.pk}", {"name": "x"}).status_code == 403
    assert api.delete(f"/segments/{segment.pk}").status_code == 403
    segment.refresh_from_db()
    assert segment.name == "VIPs"


@pytest.mark.django_db
def test_delete_of_a_segment_in_use_is_a_409(api_as, marketer):  # noqa: F811
    segment = segment_create(actor=None, name="VIPs", definition=VIP)
    Email.objects.create(name="June", segment=segment)
    response = api_as(marketer).delete(f"/segments/{segment.pk}")
    assert response.status_code == 409
    assert "audience of 1 email" in response.json()["detail"]
    assert Segment.objects.count() == 1


@pytest.mark.django_db
def test_unknown_fields_and_missing_segments(api_as, marketer):  # noqa: F811
    api = api_as(marketer)
    assert api.post("/segments", {"name": "x", "definition": VIP, "id": 3}).status_code == 422
    assert api.get("/segments/999").status_code == 404
    assert api.get("/segments/999/count").status_code == 404
