from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from revline.core.models import User
from revline.people.models import Company, Contact
from revline.people.services import company_create, contact_create
from revline.sales.models import Deal, Pipeline, Stage
from revline.sales.services import deal_create, pipeline_default


@pytest.fixture
def pipeline(db) -> Pipeline:
    return pipeline_default()


def stage(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


@pytest.fixture
def acme(db) -> Company:
    return company_create(actor=None, name="Acme Corp", domain="acme.example")


@pytest.fixture
def ada(acme) -> Contact:
    return contact_create(
        actor=None, first_name="Ada", last_name="Lovelace", email="ada@acme.example", company=acme
    )


def make_deal(owner: User | None, name: str = "Deal", amount: str = "1000", **kwargs: Any) -> Deal:
    return deal_create(actor=None, owner=owner, name=name, amount=Decimal(amount), **kwargs)


def at(day: int, hour: int = 9) -> datetime:
    from django.utils import timezone

    return datetime(2025, 3, day, hour, 0, tzinfo=timezone.get_current_timezone())
