"""Deals of another team stay out of sight everywhere a deal is listed, not only on sales pages."""

import pytest

from revline.core.models import DealVisibility
from revline.core.workspace import workspace_get

from .conftest import make_deal


@pytest.fixture
def hidden_deal(rep_a, ada):
    return make_deal(rep_a, "Team A secret", "5000", contact=ada)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "contact", "company"])
def test_another_teams_deal_is_not_listed(client, rep_b, hidden_deal, ada, page):
    client.force_login(rep_b)
    url = {
        "home": "/",
        "contact": f"/people/contacts/{ada.pk}/",
        "company": f"/people/companies/{ada.company_id}/",
    }[page]

    response = client.get(url)

    assert response.status_code == 200
    # The contact's history may still say a deal was opened; no link or row leads to it.
    assert f"/sales/deals/{hidden_deal.pk}/" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "contact", "company"])
def test_the_same_deal_is_listed_for_its_team_and_when_everyone_sees_all(
    client, rep_a, rep_b, hidden_deal, ada, page
):
    url = {
        "home": "/",
        "contact": f"/people/contacts/{ada.pk}/",
        "company": f"/people/companies/{ada.company_id}/",
    }[page]
    link = f"/sales/deals/{hidden_deal.pk}/"
    client.force_login(rep_a)
    assert link in client.get(url).content.decode()

    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.ALL
    workspace.save()
    client.force_login(rep_b)
    assert link in client.get(url).content.decode()
