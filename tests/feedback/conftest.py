from datetime import UTC, datetime
from decimal import Decimal

import pytest

from revline.people.services import company_create, contact_create
from revline.sales.services import deal_create

NOW = datetime(2025, 5, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def company(db):
    return company_create(actor=None, name="Acme GmbH", industry="Software")


@pytest.fixture
def contact(company):
    return contact_create(
        actor=None,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.example",
        company=company,
    )


@pytest.fixture
def deal(rep_a, contact):
    return deal_create(
        actor=rep_a, name="Acme rollout", amount=Decimal("12000"), contact=contact, owner=rep_a
    )
