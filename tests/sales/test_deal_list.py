"""The deals list: search, filters, sorting, pagination, totals, and its query count."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.core.models import DealVisibility
from revline.core.workspace import workspace_get
from revline.people.services import company_create, contact_create
from revline.sales.services import deal_close_lost, deal_close_won

from .conftest import make_deal, stage

URL = "/sales/deals/"


def names(response) -> list[str]:
    return [deal.name for deal in response.context["listing"].page.object_list]


@pytest.fixture(autouse=True)
def everyone_sees_every_deal(db):
    """These tests are about listing; the team rule has its own test at the end."""
    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.ALL
    workspace.save()


@pytest.fixture
def deals(pipeline, rep_a, rep_b, manager_a, ada):
    globex = company_create(actor=None, name="Globex")
    bob = contact_create(actor=None, first_name="Bob", last_name="Stone", email="bob@stone.example")
    return {
        "ada": make_deal(
            rep_a, "Ada renewal", "1000", contact=ada, expected_close_date=date(2025, 4, 10)
        ),
        "globex": make_deal(
            rep_b,
            "Globex rollout",
            "2500.50",
            company=globex,
            expected_close_date=date(2025, 5, 1),
            stage=stage(pipeline, "Proposal"),
        ),
        "bob": make_deal(
            manager_a, "Pilot", "300", contact=bob, expected_close_date=date(2025, 6, 1)
        ),
        "dollars": make_deal(rep_b, "US expansion", "9999", currency="CHF"),
    }


@pytest.mark.django_db
def test_list_shows_every_deal_newest_first_with_totals_in_the_base_currency(client, rep_a, deals):
    client.force_login(rep_a)

    response = client.get(URL)

    assert response.status_code == 200
    assert names(response) == ["US expansion", "Pilot", "Globex rollout", "Ada renewal"]
    totals = response.context["totals"]
    assert (totals.count, totals.amount, totals.currency, totals.other_currency_count) == (
        4,
        Decimal("3800.50"),
        "EUR",
        1,
    )
    # Qualification is 10 %, Proposal 50 %: 0.1 * 1300 + 0.5 * 2500.50
    assert totals.weighted == Decimal("1380.25")
    html = response.content.decode()
    assert "€3,800.50" in html
    assert (
        "1 deal in currencies other than EUR is listed below but not included in the totals."
        in html
    )
    assert "9,999 CHF" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("renewal", ["Ada renewal"]),
        ("globex", ["Globex rollout"]),
        ("acme", ["Ada renewal"]),
        ("Ada Lovelace", ["Ada renewal"]),
        ("bob@stone", ["Pilot"]),
        ("nothing-like-this", []),
    ],
)
def test_search_matches_deal_name_company_and_contact(client, rep_a, deals, query, expected):
    client.force_login(rep_a)

    response = client.get(URL, {"q": query})

    assert names(response) == expected


@pytest.mark.django_db
def test_filters_narrow_the_list_and_the_totals(client, rep_a, team_a, team_b, pipeline, deals):
    client.force_login(rep_a)
    deal_close_won(actor=None, deal=deals["bob"], note="Fast yes")
    deal_close_lost(actor=None, deal=deals["dollars"], note="Budget")

    def filtered(**params) -> list[str]:
        return names(client.get(URL, params))

    assert filtered(status="won") == ["Pilot"]
    assert filtered(status="open") == ["Globex rollout", "Ada renewal"]
    assert filtered(stage=stage(pipeline, "Proposal").pk) == ["Globex rollout"]
    assert filtered(pipeline=pipeline.pk, status="lost") == ["US expansion"]
    assert filtered(owner=deals["ada"].owner_id) == ["Ada renewal"]
    assert filtered(team=team_a.pk) == ["Pilot", "Ada renewal"]
    assert filtered(team=team_b.pk) == ["US expansion", "Globex rollout"]
    assert filtered(close_from="2025-04-15") == ["Pilot", "Globex rollout"]
    assert filtered(close_from="2025-04-01", close_to="2025-05-01") == [
        "Globex rollout",
        "Ada renewal",
    ]
    response = client.get(URL, {"team": team_b.pk})
    assert response.context["totals"].amount == Decimal("2500.50")
    assert response.context["totals"].other_currency_count == 1


@pytest.mark.django_db
def test_bad_filter_values_are_reported_and_only_the_valid_ones_applied(client, rep_a, deals):
    client.force_login(rep_a)

    response = client.get(
        URL, {"pipeline": "abc", "close_from": "2025-06-01", "close_to": "2025-01-01"}
    )

    assert response.status_code == 400
    form = response.context["filter_form"]
    assert form.errors["pipeline"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert form.errors["close_to"] == ["The end date must be on or after the start date."]
    assert names(response) == ["Pilot"]  # close_from alone still applies
    assert "Pipeline: Select a valid choice." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("amount", ["Pilot", "Ada renewal", "Globex rollout", "US expansion"]),
        ("-amount", ["US expansion", "Globex rollout", "Ada renewal", "Pilot"]),
        ("name", ["Ada renewal", "Globex rollout", "Pilot", "US expansion"]),
        ("stage", ["US expansion", "Pilot", "Ada renewal", "Globex rollout"]),
        ("close", ["Ada renewal", "Globex rollout", "Pilot", "US expansion"]),
        ("created", ["Ada renewal", "Globex rollout", "Pilot", "US expansion"]),
        ("no-such-column", ["US expansion", "Pilot", "Globex rollout", "Ada renewal"]),
    ],
)
def test_columns_sort_both_ways(client, rep_a, deals, sort, expected):
    client.force_login(rep_a)

    response = client.get(URL, {"sort": sort})

    assert names(response) == expected


@pytest.mark.django_db
def test_sorting_by_company_and_owner(client, rep_a, deals):
    client.force_login(rep_a)

    by_company = names(client.get(URL, {"sort": "-company"}))
    by_owner = names(client.get(URL, {"sort": "owner"}))

    # Deals without a company sort as NULLs do in the database; only the named ones are ordered here.
    assert [n for n in by_company if n in ("Ada renewal", "Globex rollout")] == [
        "Globex rollout",
        "Ada renewal",
    ]
    # Owners' first names: Manager_A, Rep_A, Rep_B (two deals, newest pk first).
    assert by_owner == ["Pilot", "Ada renewal", "US expansion", "Globex rollout"]


@pytest.mark.django_db
def test_pagination_keeps_filters_and_sums_every_page(client, rep_a, pipeline):
    for n in range(30):
        make_deal(rep_a, f"Deal {n:02}", "10")
    client.force_login(rep_a)

    first = client.get(URL, {"sort": "name", "status": "open"})
    second = client.get(URL, {"sort": "name", "status": "open", "page": 2})

    assert len(first.context["listing"].page.object_list) == 25
    assert names(second) == [f"Deal {n:02}" for n in range(25, 30)]
    assert first.context["totals"].amount == Decimal("300")
    assert 'href="?sort=name&amp;status=open&amp;page=2"' in first.content.decode()


@pytest.mark.django_db
def test_empty_list_invites_to_create_the_first_deal(client, rep_a, pipeline):
    client.force_login(rep_a)

    html = client.get(URL).content.decode()

    assert "No deals yet." in html
    assert "Create the first deal" in html


@pytest.mark.django_db
def test_new_deal_button_only_for_people_who_may_create_deals(client, rep_a, marketer, pipeline):
    client.force_login(rep_a)
    assert 'href="/sales/deals/new/"' in client.get(URL).content.decode()

    client.force_login(marketer)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'href="/sales/deals/new/"' not in response.content.decode()


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_number_of_deals(
    client, rep_a, rep_b, pipeline, ada
):
    client.force_login(rep_a)
    make_deal(rep_a, "First", contact=ada)

    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, {"status": "open"}).status_code == 200
    for n in range(20):
        make_deal(
            rep_b if n % 2 else rep_a, f"More {n}", contact=ada, currency="USD" if n % 3 else "EUR"
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL, {"status": "open"}).status_code == 200

    assert len(many) == len(few)
    assert len(many) <= 11


@pytest.mark.django_db
def test_list_needs_a_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_with_team_visibility_a_rep_lists_only_their_teams_deals(client, rep_a, rep_b, deals):
    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.TEAM
    workspace.save()
    client.force_login(rep_b)

    response = client.get("/sales/deals/")

    assert response.status_code == 200
    assert sorted(names(response)) == ["Globex rollout", "US expansion"]
