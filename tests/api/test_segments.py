"""Segments over the API: what tests/segments/test_api.py does not cover — sorting, the audit
log, counts and members limited to the contacts the caller may see, and refusals."""

import pytest

from revline.audit.models import AuditEntry
from revline.core.models import RecordVisibility
from revline.core.workspace import workspace_get
from revline.email.models import Email
from revline.people.models import Contact
from revline.segments.models import Segment

from .conftest import error_fields

EVERYONE = {"match": "all", "conditions": []}
GERMANS = {
    "match": "all",
    "conditions": [{"type": "field", "field": "country", "op": "eq", "value": "DE"}],
}


@pytest.mark.django_db
def test_segments_sort_and_search(api_as, rep_a):
    Segment.objects.create(name="Beta", description="trial users", definition=EVERYONE)
    Segment.objects.create(name="Alpha", definition=EVERYONE)
    api = api_as(rep_a)

    by_name = api.get("/segments").json()
    reversed_ = api.get("/segments", {"sort": "-name"}).json()
    searched = api.get("/segments", {"q": "trial"}).json()

    assert [s["name"] for s in by_name["items"]] == ["Alpha", "Beta"]
    assert [s["name"] for s in reversed_["items"]] == ["Beta", "Alpha"]
    assert [s["name"] for s in searched["items"]] == ["Beta"]
    assert api.get("/segments", {"sort": "definition"}).status_code == 422


@pytest.mark.django_db
def test_segment_writes_are_audited(api_as, marketer):
    api = api_as(marketer)

    pk = api.post("/segments", {"name": "Germans", "definition": GERMANS}).json()["id"]
    api.patch(f"/segments/{pk}", {"name": "DE"})
    api.delete(f"/segments/{pk}")

    entries = AuditEntry.objects.filter(object_type="segments.segment", object_id=str(pk))
    assert list(entries.order_by("pk").values_list("action", flat=True)) == [
        "create",
        "update",
        "delete",
    ]
    assert entries.get(action="update").changes["name"] == ["Germans", "DE"]


@pytest.mark.django_db
def test_counts_and_members_show_only_contacts_the_caller_may_see(api_as, rep_a, rep_b):
    workspace = workspace_get()
    workspace.contact_visibility = RecordVisibility.OWN
    workspace.save()
    mine = Contact.objects.create(first_name="Mine", country="DE", owner=rep_a)
    Contact.objects.create(first_name="Theirs", country="DE", owner=rep_b)
    segment = Segment.objects.create(name="Germans", definition=GERMANS)
    api = api_as(rep_a)

    count = api.get(f"/segments/{segment.pk}/count").json()
    live = api.post("/segments/count", {"definition": GERMANS}).json()
    members = api.get(f"/segments/{segment.pk}/contacts").json()

    assert count == {"count": 1}
    assert live == {"count": 1}
    assert [m["id"] for m in members["items"]] == [mine.pk]
    assert members["total"] == 1


@pytest.mark.django_db
def test_reps_cannot_change_segments(api_as, rep_a):
    segment = Segment.objects.create(name="Germans", definition=GERMANS)
    api = api_as(rep_a)

    refused = [
        api.post("/segments", {"name": "Mine", "definition": EVERYONE}),
        api.patch(f"/segments/{segment.pk}", {"name": "Mine"}),
        api.delete(f"/segments/{segment.pk}"),
    ]

    assert [r.status_code for r in refused] == [403, 403, 403]
    assert list(Segment.objects.values_list("name", flat=True)) == ["Germans"]


@pytest.mark.django_db
def test_a_segment_used_by_an_email_is_not_deleted(api_as, marketer):
    segment = Segment.objects.create(name="Germans", definition=GERMANS)
    Email.objects.create(name="News", subject="Hi", segment=segment)

    response = api_as(marketer).delete(f"/segments/{segment.pk}")

    assert response.status_code == 409
    assert Segment.objects.filter(pk=segment.pk).exists()
    assert not AuditEntry.objects.filter(object_type="segments.segment").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "definition": EVERYONE}, "name"),
        ({"name": "X", "definition": {"match": "some", "conditions": []}}, "definition"),
        ({"name": "X", "definition": EVERYONE, "created_by": 1}, "created_by"),
    ],
)
def test_bad_segment_is_refused(api_as, marketer, body, field):
    response = api_as(marketer).post("/segments", body)

    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Segment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/segments/999", None),
        ("patch", "/segments/999", {"name": "X"}),
        ("delete", "/segments/999", None),
        ("get", "/segments/999/count", None),
        ("get", "/segments/999/contacts", None),
    ],
)
def test_unknown_segment_is_404(api_as, marketer, method, path, body):
    api = api_as(marketer)
    response = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)

    assert response.status_code == 404
