"""Demo data of the deal page on a small set of deals."""

import random
from datetime import UTC, datetime

import pytest

from revline.core.demo.deal_page import build_deal_page
from revline.people.services import company_create, contact_create
from revline.sales.models import Deal, DealAttachment, DealContact
from revline.sales.services import deal_close_lost
from tests.sales.conftest import make_deal

NOW = datetime(2025, 5, 20, tzinfo=UTC)


@pytest.fixture
def deals(rep_a):
    made = []
    for c in range(6):
        company = company_create(actor=None, name=f"Company {c}")
        people = [
            contact_create(
                actor=None, first_name=f"P{c}{i}", email=f"p{c}{i}@x.example", company=company
            )
            for i in range(4)
        ]
        for d in range(5):
            made.append(make_deal(rep_a, f"D{c}{d}", contact=people[d % 4], company=company))
    for deal in made[::4]:
        deal_close_lost(actor=None, deal=deal, note="no")
    return made


def snapshot():
    return (
        list(DealContact.objects.order_by("pk").values_list("deal__name", "contact_id", "role")),
        list(DealAttachment.objects.order_by("pk").values_list("deal__name", "title", "url")),
        list(Deal.objects.order_by("name").values_list("name", "next_step")),
    )


@pytest.mark.django_db
def test_demo_committees_next_steps_and_links(deals):
    build_deal_page(rng=random.Random(3), now=NOW)

    members = DealContact.objects.select_related("deal", "contact")
    assert 15 <= members.count() <= 80
    assert all(m.contact.company_id == m.deal.company_id for m in members)
    assert Deal.objects.filter(status="lost").exclude(next_step="").count() == 0
    assert Deal.objects.filter(status="open").exclude(next_step="").count() >= 12
    links = DealAttachment.objects.all()
    assert links.exists()
    assert all(link.url.startswith("https://") and not link.file for link in links)


@pytest.mark.django_db
def test_demo_deal_page_is_deterministic(deals):
    build_deal_page(rng=random.Random(3), now=NOW)
    first = snapshot()
    DealContact.objects.all().delete()
    DealAttachment.objects.all().delete()
    Deal.objects.update(next_step="")

    build_deal_page(rng=random.Random(3), now=NOW)

    again = snapshot()
    assert again[0] and again[0] == first[0]
    assert again[1] == first[1]
    assert again[2] == first[2]
