"""Competitors and the competitors of a deal over the API (revline.competitors.api)."""

from decimal import Decimal

import pytest

from revline.audit.models import AuditEntry
from revline.competitors.services import competitor_create, deal_competitor_add
from revline.sales.models import Competitor, Deal
from revline.sales.services import deal_close_lost, deal_create, pipeline_default

from .conftest import error_fields


@pytest.fixture
def deal_a(rep_a) -> Deal:
    """An open deal of rep_a (team A); by default reps see only their team's deals."""
    pipeline_default()
    return deal_create(actor=rep_a, name="Acme rollout", amount=Decimal("1000.00"))


@pytest.fixture
def rival(db) -> Competitor:
    return competitor_create(actor=None, name="Rival CRM", website="https://rival.example")


def profile(competitor: Competitor) -> tuple:
    competitor.refresh_from_db()
    return (competitor.name, competitor.website, competitor.positioning, competitor.how_to_win)


# --- the list of competitors ------------------------------------------------------------------


@pytest.mark.django_db
def test_list_and_read_competitors(api_as, rep_a, rival):
    client = api_as(rep_a)
    listed = client.get("/competitors", {"q": "rival"}).json()
    assert (listed["total"], listed["items"][0]["name"]) == (1, "Rival CRM")
    assert client.get(f"/competitors/{rival.pk}").json()["website"] == "https://rival.example"
    assert client.get("/competitors/999999").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager_a", "marketer"])
def test_managers_and_marketers_add_a_competitor(api_as, request, who):
    response = api_as(request.getfixturevalue(who)).post(
        "/competitors",
        {
            "name": "Pipedrive",
            "website": "https://www.pipedrive.com",
            "positioning": "Simple pipelines",
            "how_to_win": "One system for marketing and sales",
        },
    )
    assert response.status_code == 201
    competitor = Competitor.objects.get(name="Pipedrive")
    body = response.json()
    assert (body["id"], body["how_to_win"], body["deals_involved"], body["win_rate"]) == (
        competitor.pk,
        "One system for marketing and sales",
        0,
        None,
    )
    assert AuditEntry.objects.filter(
        action="create", object_type="sales.competitor", object_id=str(competitor.pk)
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "rival crm"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "X", "website": "not a url"}, "website"),
        ({"name": "X", "how_to_win": "x" * 5001}, "how_to_win"),
        ({"name": "X", "deals_involved": 3}, "deals_involved"),
    ],
)
def test_bad_competitor_is_422_and_adds_nothing(api_as, manager_a, rival, body, field):
    response = api_as(manager_a).post("/competitors", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert list(Competitor.objects.values_list("name", flat=True)) == ["Rival CRM"]


@pytest.mark.django_db
def test_rep_cannot_add_change_or_delete_a_competitor(api_as, rep_a, rival):
    client = api_as(rep_a)
    before = profile(rival)
    assert client.post("/competitors", {"name": "Mine"}).status_code == 403
    assert client.patch(f"/competitors/{rival.pk}", {"name": "Renamed"}).status_code == 403
    assert client.delete(f"/competitors/{rival.pk}").status_code == 403
    assert profile(rival) == before
    assert Competitor.objects.count() == 1


@pytest.mark.django_db
def test_manager_changes_only_the_fields_sent(api_as, manager_a, rival):
    response = api_as(manager_a).patch(
        f"/competitors/{rival.pk}", {"positioning": "Enterprise only", "how_to_win": "Speed"}
    )
    assert response.status_code == 200
    assert profile(rival) == ("Rival CRM", "https://rival.example", "Enterprise only", "Speed")
    assert AuditEntry.objects.filter(
        action="update", object_type="sales.competitor", object_id=str(rival.pk)
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "Other"}, "name"), ({"name": None}, "name"), ({"website": "ftp//x"}, "website")],
)
def test_bad_competitor_patch_is_422(api_as, manager_a, rival, body, field):
    competitor_create(actor=None, name="Other")
    before = profile(rival)
    response = api_as(manager_a).patch(f"/competitors/{rival.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert profile(rival) == before


@pytest.mark.django_db
def test_competitor_writes_404_for_unknown(api_as, manager_a):
    client = api_as(manager_a)
    assert client.patch("/competitors/999999", {"name": "X"}).status_code == 404
    assert client.delete("/competitors/999999").status_code == 404


@pytest.mark.django_db
def test_unused_competitor_is_deleted_and_involved_one_is_kept(api_as, manager_a, deal_a, rival):
    unused = competitor_create(actor=None, name="Unused")
    deal_competitor_add(actor=None, deal=deal_a, competitor=rival)
    client = api_as(manager_a)
    assert client.delete(f"/competitors/{unused.pk}").status_code == 204
    response = client.delete(f"/competitors/{rival.pk}")
    assert response.status_code == 422
    assert error_fields(response) == ["competitor"]
    assert list(Competitor.objects.values_list("name", flat=True)) == ["Rival CRM"]
    assert AuditEntry.objects.filter(
        action="delete", object_type="sales.competitor", object_id=str(unused.pk)
    ).exists()


# --- the competitors of a deal ----------------------------------------------------------------


@pytest.mark.django_db
def test_rep_adds_lists_and_removes_a_deal_competitor(api_as, rep_a, deal_a, rival):
    client = api_as(rep_a)
    response = client.post(f"/deals/{deal_a.pk}/competitors", {"competitor_id": rival.pk})
    assert response.status_code == 200
    assert response.json() == [
        {"id": rival.pk, "name": "Rival CRM", "website": "https://rival.example"}
    ]
    # Again is a no-op
    assert (
        len(client.post(f"/deals/{deal_a.pk}/competitors", {"competitor_id": rival.pk}).json()) == 1
    )
    assert [c["id"] for c in client.get(f"/deals/{deal_a.pk}/competitors").json()] == [rival.pk]
    assert client.delete(f"/deals/{deal_a.pk}/competitors/{rival.pk}").status_code == 204
    assert list(deal_a.competitors.all()) == []


@pytest.mark.django_db
def test_bad_deal_competitor_is_422(api_as, rep_a, deal_a, rival):
    client = api_as(rep_a)
    unknown = client.post(f"/deals/{deal_a.pk}/competitors", {"competitor_id": 999999})
    assert (unknown.status_code, error_fields(unknown)) == (422, ["competitor_id"])
    # The competitor a lost deal went to stays on it
    deal_competitor_add(actor=None, deal=deal_a, competitor=rival)
    deal_close_lost(actor=rep_a, deal=deal_a, reason=None, note="Cheaper", lost_to=rival)
    kept = client.delete(f"/deals/{deal_a.pk}/competitors/{rival.pk}")
    assert (kept.status_code, error_fields(kept)) == (422, ["competitor"])
    assert list(deal_a.competitors.all()) == [rival]


@pytest.mark.django_db
def test_deal_competitors_follow_deal_visibility(api_as, rep_b, marketer, deal_a, rival):
    base = f"/deals/{deal_a.pk}/competitors"
    assert api_as(rep_b).get(base).status_code == 404
    assert api_as(rep_b).post(base, {"competitor_id": rival.pk}).status_code == 404
    assert api_as(marketer).post(base, {"competitor_id": rival.pk}).status_code == 403
    assert api_as(marketer).delete(f"{base}/{rival.pk}").status_code == 403
    assert api_as(marketer).get("/deals/999999/competitors").status_code == 404
    assert list(deal_a.competitors.all()) == []
