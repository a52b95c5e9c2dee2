"""Close reason lists and competitors: add, rename, reorder, retire; who may change them."""

import pytest

from revline.competitors.services import competitor_create
from revline.sales.models import CloseReason, Competitor

from ..conftest import PASSWORD

URL = "/sales/settings/close-reasons/"


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def names(kind: str) -> list[str]:
    return list(
        CloseReason.objects.filter(kind=kind).order_by("position").values_list("name", flat=True)
    )


@pytest.fixture
def price(db) -> CloseReason:
    return CloseReason.objects.get(kind="lost", name="Price")


def test_the_page_lists_the_default_reasons_of_both_kinds(client, manager_a):
    response = login(client, manager_a).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-reason="Best product fit"' in html
    assert 'data-reason="Went with a competitor"' in html


def test_a_manager_adds_a_reason_at_the_end_of_its_list(client, manager_a):
    response = login(client, manager_a).post(URL, {"kind": "lost", "name": "  Security review  "})
    assert response.status_code == 302
    assert names("lost")[-1] == "Security review"
    assert "Security review" not in names("won")


def test_a_duplicate_or_empty_reason_is_refused(client, manager_a):
    client = login(client, manager_a)
    before = CloseReason.objects.count()
    response = client.post(URL, {"kind": "lost", "name": "price"})
    assert response.status_code == 400
    assert "already in the list" in response.content.decode()
    assert client.post(URL, {"kind": "maybe", "name": "X"}).status_code == 400
    assert CloseReason.objects.count() == before


def test_rename_keeps_the_deals_pointing_at_the_reason(client, manager_a, price):
    response = login(client, manager_a).post(
        f"{URL}{price.pk}/", {"action": "rename", "name": "Too expensive"}
    )
    price.refresh_from_db()
    assert response.status_code == 302
    assert price.name == "Too expensive"


def test_rename_to_a_taken_name_is_refused(client, manager_a, price):
    response = login(client, manager_a).post(
        f"{URL}{price.pk}/", {"action": "rename", "name": "Timing"}
    )
    price.refresh_from_db()
    assert response.status_code == 400
    assert "already in the list" in response.content.decode()
    assert price.name == "Price"


def test_reorder_moves_a_reason_up_and_down(client, manager_a):
    client = login(client, manager_a)
    timing = CloseReason.objects.get(kind="lost", name="Timing")
    assert names("lost")[:3] == ["Price", "No budget", "Timing"]
    client.post(f"{URL}{timing.pk}/", {"action": "up"})
    assert names("lost")[:3] == ["Price", "Timing", "No budget"]
    client.post(f"{URL}{timing.pk}/", {"action": "down"})
    client.post(f"{URL}{timing.pk}/", {"action": "down"})
    assert names("lost")[:4] == ["Price", "No budget", "Went with a competitor", "Timing"]
    first = CloseReason.objects.get(kind="lost", name="Price")
    client.post(f"{URL}{first.pk}/", {"action": "up"})  # already first: nothing moves
    assert names("lost")[0] == "Price"


def test_retire_and_reactivate(client, manager_a, price):
    client = login(client, manager_a)
    client.post(f"{URL}{price.pk}/", {"action": "deactivate"})
    price.refresh_from_db()
    assert price.is_active is False
    client.post(f"{URL}{price.pk}/", {"action": "activate"})
    price.refresh_from_db()
    assert price.is_active is True


def test_reps_and_marketers_cannot_change_reasons(client, rep_a, marketer, price):
    for user in (rep_a, marketer):
        client = login(client, user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"kind": "lost", "name": "Nope"}).status_code == 403
        assert client.post(f"{URL}{price.pk}/", {"action": "deactivate"}).status_code == 403
    price.refresh_from_db()
    assert price.is_active is True
    assert not CloseReason.objects.filter(name="Nope").exists()


def test_a_get_changes_nothing(client, manager_a, price):
    response = login(client, manager_a).get(f"{URL}{price.pk}/?action=deactivate")
    price.refresh_from_db()
    assert response.status_code == 405
    assert price.is_active is True


# ---------------------------------------------------------------- competitors


def test_competitors_list_create_and_edit(client, manager_a):
    client = login(client, manager_a)
    response = client.post(
        "/sales/competitors/new/", {"name": "Rivalsoft", "website": "rival.example"}
    )
    rival = Competitor.objects.get()
    assert response.status_code == 302
    assert rival.website == "https://rival.example"
    client.post(f"/sales/competitors/{rival.pk}/edit/", {"name": "Rivalsoft Inc", "website": ""})
    rival.refresh_from_db()
    assert (rival.name, rival.website) == ("Rivalsoft Inc", "")
    listing = client.get("/sales/competitors/?q=rival").context["listing"]
    assert [c.name for c in listing.page] == ["Rivalsoft Inc"]


def test_a_bad_or_duplicate_competitor_is_refused(client, marketer):
    competitor_create(actor=None, name="Rivalsoft")
    client = login(client, marketer)
    assert client.post("/sales/competitors/new/", {"name": "rivalsoft"}).status_code == 400
    response = client.post(
        "/sales/competitors/new/", {"name": "Other", "website": "javascript:alert(1)"}
    )
    assert response.status_code == 400
    assert list(Competitor.objects.values_list("name", flat=True)) == ["Rivalsoft"]


def test_a_rep_reads_competitors_but_cannot_edit(client, rep_a):
    rival = competitor_create(actor=None, name="Rivalsoft")
    client = login(client, rep_a)
    html = client.get("/sales/competitors/").content.decode()
    assert "Rivalsoft" in html
    assert "New competitor" not in html
    assert client.post("/sales/competitors/new/", {"name": "X"}).status_code == 403
    assert client.post(f"/sales/competitors/{rival.pk}/edit/", {"name": "X"}).status_code == 403
    assert list(Competitor.objects.values_list("name", flat=True)) == ["Rivalsoft"]
