"""The Competitors card on the deal page: who may add and remove, bad input, the battlecards,
and the competitor a lost deal went to."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.competitors.services import (
    competitor_create,
    deal_competitor_add,
    deal_competitor_remove,
)
from revline.sales.models import Deal
from revline.sales.services import deal_close_lost, deal_reopen

from .conftest import login, make_deal, reason

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rival(db):
    return competitor_create(
        actor=None,
        name="Rivalsoft",
        how_to_win="Lead with the closed loop.\nShow attribution.",
        landmines="<script>alert(1)</script>",
    )


@pytest.fixture
def deal_a(pipeline, rep_a) -> Deal:
    return make_deal(rep_a, name="Team A deal")


def involved(deal: Deal) -> list[str]:
    return list(deal.competitors.values_list("name", flat=True))


def test_the_deal_page_loads_the_card(client, rep_a, deal_a):
    html = login(client, rep_a).get(f"/sales/deals/{deal_a.pk}/").content.decode()
    assert f'hx-get="/sales/deals/{deal_a.pk}/competitors/"' in html


def test_a_rep_adds_a_competitor_and_sees_its_battlecard(client, rep_a, deal_a, rival):
    client = login(client, rep_a)
    response = client.post(
        f"/sales/deals/{deal_a.pk}/competitors/add/", {"competitor": rival.pk}, **HTMX
    )
    assert response.status_code == 200
    assert involved(deal_a) == ["Rivalsoft"]
    html = response.content.decode()
    assert 'id="deal-competitors"' in html
    assert "Lead with the closed loop.<br>Show attribution." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_without_htmx_the_add_goes_back_to_the_deal(client, rep_a, deal_a, rival):
    response = login(client, rep_a).post(
        f"/sales/deals/{deal_a.pk}/competitors/add/", {"competitor": rival.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/sales/deals/{deal_a.pk}/"


def test_a_rep_removes_a_competitor(client, rep_a, deal_a, rival):
    deal_competitor_add(actor=None, deal=deal_a, competitor=rival)
    response = login(client, rep_a).post(
        f"/sales/deals/{deal_a.pk}/competitors/{rival.pk}/remove/", **HTMX
    )
    assert response.status_code == 200
    assert involved(deal_a) == []


def test_a_rep_cannot_change_another_teams_deal(client, rep_b, deal_a, rival):
    client = login(client, rep_b)
    response = client.post(f"/sales/deals/{deal_a.pk}/competitors/add/", {"competitor": rival.pk})
    assert response.status_code == 404  # another team's deal is not visible at all
    assert involved(deal_a) == []
    deal_competitor_add(actor=None, deal=deal_a, competitor=rival)
    response = client.post(f"/sales/deals/{deal_a.pk}/competitors/{rival.pk}/remove/")
    assert response.status_code == 404
    assert involved(deal_a) == ["Rivalsoft"]


def test_a_marketer_reads_the_card_but_cannot_change_it(client, marketer, deal_a, rival):
    deal_competitor_add(actor=None, deal=deal_a, competitor=rival)
    client = login(client, marketer)
    html = client.get(f"/sales/deals/{deal_a.pk}/competitors/", **HTMX).content.decode()
    assert "Rivalsoft" in html
    assert "Add competitor" not in html
    assert "Remove" not in html
    response = client.post(f"/sales/deals/{deal_a.pk}/competitors/{rival.pk}/remove/")
    assert response.status_code == 403
    assert involved(deal_a) == ["Rivalsoft"]


def test_the_service_checks_the_permission_too(rep_b, deal_a, rival):
    with pytest.raises(PermissionDenied):
        deal_competitor_add(actor=rep_b, deal=deal_a, competitor=rival)
    assert involved(deal_a) == []


@pytest.mark.parametrize("value", ["999999", "abc", ""])
def test_a_bad_competitor_id_is_refused_and_changes_nothing(client, rep_a, deal_a, rival, value):
    response = login(client, rep_a).post(
        f"/sales/deals/{deal_a.pk}/competitors/add/", {"competitor": value}
    )
    assert response.status_code == 400
    assert involved(deal_a) == []


def test_removing_an_unknown_or_uninvolved_competitor_is_refused(client, rep_a, deal_a, rival):
    client = login(client, rep_a)
    assert client.post(f"/sales/deals/{deal_a.pk}/competitors/999999/remove/").status_code == 404
    response = client.post(f"/sales/deals/{deal_a.pk}/competitors/{rival.pk}/remove/")
    assert response.status_code == 400
    assert "Rivalsoft is not involved in this deal." in response.content.decode()


def test_adding_twice_keeps_one(rep_a, deal_a, rival):
    assert deal_competitor_add(actor=rep_a, deal=deal_a, competitor=rival) is True
    assert deal_competitor_add(actor=rep_a, deal=deal_a, competitor=rival) is False
    assert involved(deal_a) == ["Rivalsoft"]


def test_a_get_changes_nothing(client, rep_a, deal_a, rival):
    response = login(client, rep_a).get(
        f"/sales/deals/{deal_a.pk}/competitors/add/?competitor={rival.pk}"
    )
    assert response.status_code == 405
    assert involved(deal_a) == []


def test_losing_to_a_competitor_involves_it(rep_a, deal_a, rival):
    deal_close_lost(actor=rep_a, deal=deal_a, note="Cheaper", lost_to=rival)
    assert involved(deal_a) == ["Rivalsoft"]


def test_the_competitor_a_lost_deal_went_to_stays_until_reopened(rep_a, deal_a, rival):
    deal_close_lost(actor=rep_a, deal=deal_a, note="Cheaper", lost_to=rival)
    with pytest.raises(ValidationError):
        deal_competitor_remove(actor=rep_a, deal=deal_a, competitor=rival)
    assert involved(deal_a) == ["Rivalsoft"]
    deal_reopen(actor=rep_a, deal=deal_a)
    deal_a.refresh_from_db()
    deal_competitor_remove(actor=rep_a, deal=deal_a, competitor=rival)
    assert involved(deal_a) == []


def test_closing_on_the_deal_page_with_lost_to_shows_it_in_the_card(client, rep_a, deal_a, rival):
    client = login(client, rep_a)
    client.post(
        f"/sales/deals/{deal_a.pk}/close/",
        {
            "outcome": "lost",
            "reason": reason("lost", "Went with a competitor").pk,
            "lost_to": rival.pk,
        },
    )
    assert involved(deal_a) == ["Rivalsoft"]
    html = client.get(f"/sales/deals/{deal_a.pk}/competitors/", **HTMX).content.decode()
    assert "Won the deal" in html
    assert f"/competitors/{rival.pk}/remove/" not in html
