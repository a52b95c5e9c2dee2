from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from revline.analytics.selectors import campaign_attribution
from revline.campaigns.services import campaign_create
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record


@pytest.fixture
def closed_loop(db, rep_a):
    """Two won deals: Ada touched Search then Email (1000.00), Bob touched Email only (333.33)."""
    search = campaign_create(actor=None, name="Search", channel="paid_search")
    email = campaign_create(actor=None, name="Email", channel="email")
    ada = contact_create(actor=None, email="ada@example.com")
    bob = contact_create(actor=None, email="bob@example.com")
    for contact, campaign, day in [(ada, search, 1), (ada, email, 2), (bob, email, 3)]:
        touchpoint_record(
            kind=TouchpointKind.CLICK,
            visitor=None,
            contact=contact,
            campaign=campaign,
            occurred_at=datetime(2025, 1, day, tzinfo=UTC),
        )
    for contact, amount, day in [(ada, "1000.00", 10), (bob, "333.33", 20)]:
        deal = deal_create(
            actor=rep_a, name=f"{contact.email} deal", amount=Decimal(amount), contact=contact
        )
        deal_close_won(
            actor=rep_a, deal=deal, note="Fit", at=datetime(2025, 2, day, 12, tzinfo=UTC)
        )
    return {"search": search, "email": email}


@pytest.mark.django_db
def test_attribution_report_has_the_exact_numbers(api_as, marketer, closed_loop):
    # When
    response = api_as(marketer).get("/reports/attribution")
    # Then
    assert response.status_code == 200
    assert response.json() == {
        "closed_from": None,
        "closed_to": None,
        "currency": "EUR",
        "models": ["first_touch", "last_touch", "linear"],
        "won_deals": 2,
        "won_revenue": "1333.33",
        "unattributed_revenue": {"first_touch": "0.00", "last_touch": "0.00", "linear": "0.00"},
        "excluded_other_currency": 0,
        "campaigns": [
            {
                "campaign_id": closed_loop["email"].pk,
                "name": "Email",
                "channel": "Email",
                "revenue": {"first_touch": "333.33", "last_touch": "1333.33", "linear": "833.33"},
                "conversions": {"first_touch": 1.0, "last_touch": 2.0, "linear": 1.5},
            },
            {
                "campaign_id": closed_loop["search"].pk,
                "name": "Search",
                "channel": "Paid search",
                "revenue": {"first_touch": "1000.00", "last_touch": "0.00", "linear": "500.00"},
                "conversions": {"first_touch": 1.0, "last_touch": 0.0, "linear": 0.5},
            },
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("closed_from", "closed_to"),
    [(None, None), (date(2025, 2, 1), date(2025, 2, 15)), (date(2025, 2, 15), None)],
)
def test_attribution_report_matches_the_selector(
    api_as, rep_a, closed_loop, closed_from, closed_to
):
    # Given
    params = {
        k: v.isoformat()
        for k, v in {"closed_from": closed_from, "closed_to": closed_to}.items()
        if v
    }
    expected = campaign_attribution(closed_from=closed_from, closed_to=closed_to)
    # When
    body = api_as(rep_a).get("/reports/attribution", params).json()
    # Then
    assert body["won_deals"] == expected.won_deals
    assert Decimal(body["won_revenue"]) == expected.won_revenue
    assert [
        (row["campaign_id"], {m: Decimal(v) for m, v in row["revenue"].items()}, row["conversions"])
        for row in body["campaigns"]
    ] == [(row.campaign_id, row.revenue, row.conversions) for row in expected.rows]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"closed_from": "2025-13-01"}, "closed_from"),
        ({"closed_to": "last week"}, "closed_to"),
        ({"closed_from": "2025-03-01", "closed_to": "2025-02-01"}, "closed_to"),
    ],
)
def test_attribution_report_with_a_bad_period_is_422(api_as, rep_a, params, field):
    response = api_as(rep_a).get("/reports/attribution", params)
    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
