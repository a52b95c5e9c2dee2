from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from revline.analytics.selectors import campaign_attribution
from revline.campaigns.models import Campaign, Channel
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.services import touchpoint_record

NOW = timezone.now()


def _touch(contact, campaign, days_ago):
    touchpoint_record(
        kind="click",
        visitor=None,
        contact=contact,
        campaign=campaign,
        occurred_at=NOW - timedelta(days=days_ago),
    )


@pytest.fixture
def world(db, rep_a):
    search = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    social = Campaign.objects.create(name="Social", channel=Channel.PAID_SOCIAL)
    ada = contact_create(actor=None, email="ada@example.com")
    bob = contact_create(actor=None, email="bob@example.com")
    _touch(ada, search, 30)
    _touch(ada, social, 20)
    _touch(ada, social, 10)
    _touch(bob, social, 5)
    _touch(bob, search, -5)  # after the close: must not count
    won = deal_create(actor=rep_a, name="Ada", amount=Decimal("900"), contact=ada)
    deal_close_won(actor=rep_a, deal=won, note="fit", at=NOW - timedelta(days=1))
    won2 = deal_create(actor=rep_a, name="Bob", amount=Decimal("100"), contact=bob)
    deal_close_won(actor=rep_a, deal=won2, note="fit", at=NOW - timedelta(days=1))
    deal_create(actor=rep_a, name="Open", amount=Decimal("5000"), contact=bob)
    return search, social


def test_report_credits_won_revenue_to_campaigns_touched_before_close(world):
    report = campaign_attribution()

    rows = {r.name: r for r in report.rows}
    assert report.won_deals == 2
    assert report.won_revenue == Decimal("1000")
    assert rows["Search"].revenue == {
        "first_touch": Decimal("900"),
        "last_touch": Decimal("0"),
        "linear": Decimal("300.00"),
    }
    assert rows["Social"].revenue == {
        "first_touch": Decimal("100"),
        "last_touch": Decimal("1000"),
        "linear": Decimal("700.00"),
    }
    assert [r.name for r in report.rows] == ["Social", "Search"]


def test_period_filter_on_close_date(world):
    yesterday = (NOW - timedelta(days=1)).date()

    assert campaign_attribution(closed_from=yesterday, closed_to=yesterday).won_deals == 2
    assert campaign_attribution(closed_to=yesterday - timedelta(days=1)).won_deals == 0
    assert campaign_attribution(closed_from=date(2100, 1, 1)).rows == []


def test_other_currencies_are_counted_out_not_mixed(world, rep_a):
    contact = contact_create(actor=None, email="usd@example.com")
    deal = deal_create(
        actor=rep_a, name="USD", amount=Decimal("10"), currency="USD", contact=contact
    )
    deal_close_won(actor=rep_a, deal=deal, note="fit")

    report = campaign_attribution()

    assert report.excluded_other_currency == 1
    assert report.won_revenue == Decimal("1000")


def test_page_shows_the_same_numbers(client, world, rep_a):
    client.force_login(rep_a)

    response = client.get("/reports/attribution/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "€700" in html and "€300" in html and "€1,000" in html
    assert response.context["report"].rows == campaign_attribution().rows


def test_page_rejects_an_inverted_period(client, world, rep_a):
    client.force_login(rep_a)

    response = client.get("/reports/attribution/?closed_from=2026-02-01&closed_to=2026-01-01")

    assert response.status_code == 400
    assert "start date must be on or before" in response.content.decode()


def test_page_requires_login(client, world):
    response = client.get("/reports/attribution/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
