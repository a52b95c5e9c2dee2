"""Accepting a quote sets the deal's amount to the accepted total (in the quote's currency, with
amount_base converted like any deal amount) and says so on the deal's timeline."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from revline.people.models import TimelineEvent
from revline.quotes import quote_services as qs
from revline.sales.models import Activity, Deal
from revline.sales.services import deal_close_won

from .conftest import NOW, draft_quote, lines

D = Decimal
LATER = NOW + timedelta(hours=2)


def _send(version, actor):
    qs.version_send(actor=actor, version=version, now=NOW)
    version.refresh_from_db()
    return version


def _accept(version):
    qs.version_accept(version=version, name="Ada", agreed=True, ip="203.0.113.7", now=LATER)


@pytest.mark.django_db
def test_the_deal_amount_becomes_the_accepted_total_with_tax(deal, rep_a, seats):
    quote, version = draft_quote(deal, (seats, "3", "10"), tax="19")
    version = _send(version, rep_a)
    assert version.total == D("321.30")  # 3 x 100, 10 % off, 19 % tax

    _accept(version)

    deal.refresh_from_db()
    assert (deal.amount, deal.currency, deal.amount_base) == (D("321.30"), "EUR", D("321.30"))
    assert deal.stage.name == "Negotiation"
    activity = Activity.objects.get(deal=deal, subject=f"Quote {quote.number} v1 accepted by Ada")
    assert activity.body == (
        "Rollout: 321.30 EUR, accepted from 203.0.113.7. "
        "Deal amount changed from 10000.00 EUR to 321.30 EUR."
    )
    events = TimelineEvent.objects.filter(contact=deal.contact, kind="activity")
    assert [e.params["body"] for e in events if e.params["subject"] == activity.subject] == [
        activity.body
    ]


@pytest.mark.django_db
def test_a_quote_in_another_currency_converts_the_base_amount(deal, rep_a, usd_rate):
    quote = qs.quote_create(actor=rep_a, deal=deal, title="US rollout", currency="USD", now=NOW)
    version = quote.versions.get()
    qs.version_save(
        actor=rep_a, version=version, lines=lines(("Seats", "4", "250.55", "0")), now=NOW
    )
    version = _send(version, rep_a)

    _accept(version)

    deal.refresh_from_db()
    # 1002.20 USD at the stored 0.9 EUR per USD
    assert (deal.amount, deal.currency, deal.amount_base) == (D("1002.20"), "USD", D("901.98"))


@pytest.mark.django_db
def test_the_same_amount_changes_nothing_and_says_nothing(deal, rep_a, seats):
    Deal.objects.filter(pk=deal.pk).update(amount=D("300.00"), amount_base=D("300.00"))
    _quote, version = draft_quote(deal, (seats, "3", "0"))
    version = _send(version, rep_a)

    _accept(version)

    deal.refresh_from_db()
    assert (deal.amount, deal.amount_base) == (D("300.00"), D("300.00"))
    activity = Activity.objects.get(deal=deal, subject__contains="accepted by Ada")
    assert "Deal amount" not in activity.body


@pytest.mark.django_db
def test_a_won_deal_takes_the_accepted_total_but_stays_won(deal, rep_a, seats):
    _quote, version = draft_quote(deal, (seats, "3", "0"))
    version = _send(version, rep_a)
    deal_close_won(actor=rep_a, deal=deal, reason=None, note="Signed", at=NOW)

    _accept(version)

    deal.refresh_from_db()
    assert (deal.status, deal.stage.name, deal.amount, deal.amount_base) == (
        "won",
        "Won",
        D("300.00"),
        D("300.00"),
    )


@pytest.mark.django_db
def test_a_refused_acceptance_leaves_the_amount(deal, rep_a, seats):
    _quote, version = draft_quote(deal, (seats, "3", "0"), valid_until=date(2025, 3, 10))
    version = _send(version, rep_a)

    with pytest.raises(ValidationError, match="expired"):
        qs.version_accept(
            version=version, name="Ada", agreed=True, ip=None, now=NOW + timedelta(days=8)
        )

    deal.refresh_from_db()
    assert (deal.amount, deal.currency, deal.amount_base) == (D("10000.00"), "EUR", D("10000.00"))


@pytest.mark.django_db
def test_a_total_too_large_for_the_deal_keeps_the_amount_and_says_why(deal, rep_a):
    _quote, version = draft_quote(deal, ("Fleet", "1000", "9999999999", "0"))
    version = _send(version, rep_a)

    _accept(version)

    deal.refresh_from_db()
    assert (deal.amount, deal.amount_base) == (D("10000.00"), D("10000.00"))
    version.refresh_from_db()
    assert version.status == "accepted"
    activity = Activity.objects.get(deal=deal, subject__contains="accepted by Ada")
    assert activity.body.endswith(
        "The total is too large for the deal amount, which was left as it was."
    )
