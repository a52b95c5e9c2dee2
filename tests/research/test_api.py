"""Personas, research notes and insights over the JSON API.

Needs the research router in core/api.py (`api.add_router("/", research_router)`)."""

import pytest
from django.urls import Resolver404, resolve

from revline.research.models import Persona, ResearchNote

from ..api.conftest import api_as  # noqa: F401 - the fixture
from .conftest import market  # noqa: F401 - the fixture
from .test_personas import RULE, people  # noqa: F401 - the fixture


def _registered() -> bool:
    try:
        resolve("/api/v1/personas")
    except Resolver404:
        return False
    return True


pytestmark = pytest.mark.skipif(not _registered(), reason="research router not in core/api.py")


@pytest.mark.django_db
def test_api_creates_lists_and_reads_personas(api_as, marketer, rep_a, people):  # noqa: F811
    api = api_as(marketer)
    created = api.post("/personas", {"name": "Software VP", "definition": RULE, "goals": "Grow"})
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["contact_count"], body["goals"]) == ("Software VP", 2, "Grow")
    read = api_as(rep_a).get(f"/personas/{body['id']}").json()
    assert read["contact_count"] == 2
    assert [p["name"] for p in api_as(rep_a).get("/personas", {"q": "soft"}).json()["items"]] == [
        "Software VP"
    ]
    refused = api_as(rep_a).post("/personas", {"name": "Mine", "definition": RULE})
    assert refused.status_code == 403
    bad = api.post("/personas", {"name": "Bad", "definition": {"conditions": []}})
    assert bad.status_code == 422
    assert Persona.objects.count() == 1


@pytest.mark.django_db
def test_api_notes_are_sanitised_tagged_and_filtered(api_as, rep_a, marketer, people):  # noqa: F811
    persona = api_as(marketer).post("/personas", {"name": "VP", "definition": RULE}).json()
    api = api_as(rep_a)
    created = api.post("/research-notes", {
        "title": "Call with Ann", "kind": "interview", "date": "2025-05-02",
        "body": '<p onclick="x()">Hi<script>alert(1)</script></p>', "personas": [persona["id"]],
    })  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert body["body"] == "<p>Hi</p>"
    assert [p["name"] for p in body["personas"]] == ["VP"]
    assert body["author"]["id"] == rep_a.pk
    listed = api.get("/research-notes", {"persona": persona["id"], "kind": "interview"}).json()
    assert [n["title"] for n in listed["items"]] == ["Call with Ann"]
    assert api.get("/research-notes", {"kind": "other"}).json()["items"] == []
    assert api.get(f"/research-notes/{body['id']}").json()["title"] == "Call with Ann"
    bad = api.post("/research-notes", {"title": "X", "date": "2025-05-02", "segments": [999]})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["msg"] == "There is no segment with id 999."
    assert ResearchNote.objects.count() == 1


@pytest.mark.django_db
def test_api_insights(api_as, admin_user, market):  # noqa: F811
    def industry(params):
        body = api_as(admin_user).get("/insights", params).json()
        return next(d for d in body["dimensions"] if d["key"] == "industry")

    every = industry({})
    energy = next(g for g in every["groups"] if g["key"] == "Energy")
    assert (energy["contacts"], energy["win_rate"], energy["avg_won_deal"]) == (1, 75.0, "20000.00")
    assert energy["profitable"] is True
    # Without u1 (created in 2024) the overall average won deal is 62,000 / 4 = 15,500, and
    # 20,000 < 1.5 x 15,500: no longer flagged
    this_year = industry({"date_from": "2025-01-01"})
    assert this_year["overall"]["contacts"] == 9
    assert [g["profitable"] for g in this_year["groups"] if g["key"] == "Energy"] == [False]
    bad = api_as(admin_user).get("/insights", {"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert bad.status_code == 422
