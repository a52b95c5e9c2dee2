"""Personas and research notes over the API: full CRUD with the UI's rules (marketers and admins
manage personas; a note is changed by its author, a marketer or an admin), and the audit log."""

from datetime import date

import pytest

from revline.audit.models import AuditEntry
from revline.people.models import Company, Contact
from revline.research.models import Persona, ResearchNote
from revline.research.services import persona_create, research_note_create
from revline.sales.models import Competitor

from .conftest import error_fields

pytestmark = pytest.mark.django_db

VP = {"type": "field", "field": "title", "op": "contains", "value": "VP"}
SOFTWARE = {"type": "company", "field": "industry", "op": "eq", "value": "software"}
RULE = {"match": "all", "conditions": [VP, SOFTWARE]}


@pytest.fixture
def people(db) -> None:
    soft = Company.objects.create(name="Soft", industry="Software")
    Contact.objects.create(first_name="Ann", title="VP Sales", company=soft)
    Contact.objects.create(first_name="Ben", title="Engineer", company=soft)


@pytest.fixture
def persona(marketer, people) -> Persona:
    return persona_create(actor=marketer, name="Software VP", definition=RULE, goals="Grow")


def _note(author, **extra) -> ResearchNote:
    fields = {"title": "Call with Ann", "body": "<p>Price</p>", "kind": "interview",
              "date": date(2025, 5, 2), **extra}  # fmt: skip
    return research_note_create(actor=author, **fields)


def _actions(obj) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("pk")
        .values_list("action", "actor__username")
    )


# --- personas -----------------------------------------------------------------------------------


def test_list_personas_sorts_and_paginates(api_as, marketer, rep_a, persona):
    persona_create(actor=marketer, name="Analyst", definition=RULE)
    api = api_as(rep_a)
    body = api.get("/personas", {"sort": "-name", "limit": 1}).json()
    assert (body["total"], [p["name"] for p in body["items"]]) == (2, ["Software VP"])
    assert api.get("/personas", {"sort": "definition"}).status_code == 422


def test_update_persona_changes_only_the_fields_sent(api_as, marketer, persona):
    response = api_as(marketer).patch(f"/personas/{persona.pk}", {"pains": "Slow releases"})
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["goals"], body["pains"], body["contact_count"]) == (
        "Software VP", "Grow", "Slow releases", 1,
    )  # fmt: skip
    persona.refresh_from_db()
    assert persona.pains == "Slow releases"
    entry = AuditEntry.objects.get(object_type="research.persona", action="update")
    assert entry.changes == {"pains": ["", "Slow releases"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"definition": {"match": "all", "conditions": []}}, "definition"),
        ({"created_by": 1}, "created_by"),
        ({"goals": "x" * 10_001}, "goals"),
    ],
)
def test_update_persona_with_bad_input_is_422_and_changes_nothing(
    api_as, marketer, persona, body, field
):
    response = api_as(marketer).patch(f"/personas/{persona.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    persona.refresh_from_db()
    assert (persona.name, persona.goals, persona.definition["conditions"][0]["value"]) == (
        "Software VP", "Grow", "VP",
    )  # fmt: skip


def test_update_persona_to_a_taken_name_is_422(api_as, marketer, persona):
    other = persona_create(actor=marketer, name="Analyst", definition=RULE)
    response = api_as(marketer).patch(f"/personas/{other.pk}", {"name": "software vp"})
    assert (response.status_code, error_fields(response)) == (422, ["name"])
    other.refresh_from_db()
    assert other.name == "Analyst"


def test_reps_may_not_change_or_delete_personas(api_as, rep_a, persona):
    assert api_as(rep_a).patch(f"/personas/{persona.pk}", {"name": "Mine"}).status_code == 403
    assert api_as(rep_a).delete(f"/personas/{persona.pk}").status_code == 403
    persona.refresh_from_db()
    assert persona.name == "Software VP"


def test_unknown_personas_are_404(api_as, marketer):
    api = api_as(marketer)
    assert api.get("/personas/999999").status_code == 404
    assert api.patch("/personas/999999", {"name": "X"}).status_code == 404
    assert api.delete("/personas/999999").status_code == 404


def test_delete_persona_untags_notes(api_as, marketer, rep_a, persona):
    note = _note(rep_a, personas=[persona.pk])
    response = api_as(marketer).delete(f"/personas/{persona.pk}")
    assert response.status_code == 204
    assert Persona.objects.count() == 0
    assert list(note.personas.all()) == []
    assert _actions(persona) == [("create", "marketer"), ("delete", "marketer")]


# --- research notes -----------------------------------------------------------------------------


def test_create_note_is_audited(api_as, rep_a):
    response = api_as(rep_a).post(
        "/research-notes", {"title": "Pricing call", "date": "2025-05-02", "kind": "interview"}
    )
    assert response.status_code == 201
    assert _actions(ResearchNote.objects.get()) == [("create", "rep_a")]


def test_list_notes_sorts(api_as, rep_a):
    _note(rep_a, title="B", date=date(2025, 5, 1))
    _note(rep_a, title="A", date=date(2025, 5, 3))
    api = api_as(rep_a)
    assert [n["title"] for n in api.get("/research-notes").json()["items"]] == ["A", "B"]
    assert [n["title"] for n in api.get("/research-notes", {"sort": "title"}).json()["items"]] == [
        "A",
        "B",
    ]
    assert [n["title"] for n in api.get("/research-notes", {"sort": "date"}).json()["items"]] == [
        "B",
        "A",
    ]
    assert api.get("/research-notes", {"sort": "author"}).status_code == 422
    assert api.get("/research-notes", {"persona": 2**70}).status_code == 422


def test_the_author_updates_a_note_keeping_what_is_not_sent(api_as, rep_a, persona):
    rival = Competitor.objects.create(name="Rival")
    note = _note(rep_a, personas=[persona.pk])
    response = api_as(rep_a).patch(
        f"/research-notes/{note.pk}",
        {"title": "Pricing call", "competitors": [rival.pk], "body": "<p>Hi<script>x</script></p>"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["kind"], body["date"], body["body"]) == (
        "Pricing call", "interview", "2025-05-02", "<p>Hi</p>",
    )  # fmt: skip
    assert [p["id"] for p in body["personas"]] == [persona.pk]
    assert [c["name"] for c in body["competitors"]] == ["Rival"]
    entry = AuditEntry.objects.get(object_type="research.researchnote", action="update")
    assert entry.changes["title"] == ["Call with Ann", "Pricing call"]
    assert entry.changes["competitors"] == [[], [rival.pk]]


def test_a_marketer_edits_any_note_another_rep_does_not(api_as, rep_a, rep_b, marketer):
    note = _note(rep_a)
    refused = api_as(rep_b).patch(f"/research-notes/{note.pk}", {"title": "Mine"})
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Only the author of a note, marketers and admins change it."
    }
    note.refresh_from_db()
    assert note.title == "Call with Ann"
    assert (
        api_as(marketer).patch(f"/research-notes/{note.pk}", {"kind": "other"}).status_code == 200
    )
    note.refresh_from_db()
    assert note.kind == "other"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"date": None}, "date"),
        ({"kind": "gossip"}, "kind"),
        ({"segments": [999999]}, "segments"),
        ({"author": 3}, "author"),
    ],
)
def test_update_note_with_bad_input_is_422_and_changes_nothing(api_as, rep_a, body, field):
    note = _note(rep_a)
    response = api_as(rep_a).patch(f"/research-notes/{note.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    note.refresh_from_db()
    assert (note.title, note.kind, note.date) == ("Call with Ann", "interview", date(2025, 5, 2))


def test_delete_note(api_as, rep_a, rep_b):
    note = _note(rep_a)
    assert api_as(rep_b).delete(f"/research-notes/{note.pk}").status_code == 403
    assert ResearchNote.objects.count() == 1
    assert api_as(rep_a).delete("/research-notes/999999").status_code == 404
    assert api_as(rep_a).delete(f"/research-notes/{note.pk}").status_code == 204
    assert ResearchNote.objects.count() == 0
    assert _actions(note) == [("create", "rep_a"), ("delete", "rep_a")]
    assert api_as(rep_a).patch(f"/research-notes/{note.pk}", {"title": "X"}).status_code == 404
