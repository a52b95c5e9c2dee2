from datetime import datetime

import pytest
from django.utils import timezone

from revline.core.models import User
from revline.sales.models import CloseReason, Deal, ObjectionType, Pipeline
from revline.sales.objection_services import objection_log, objection_types_ensure_defaults
from revline.sales.services import pipeline_default

from ..conftest import PASSWORD
from ..sales.conftest import make_deal

__all__ = ["PASSWORD", "at", "login", "make_deal", "objection", "reason"]


@pytest.fixture
def pipeline(db) -> Pipeline:
    return pipeline_default()


def at(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 12, 0, tzinfo=timezone.get_current_timezone())


def login(client, user: User):
    client.login(username=user.username, password=PASSWORD)
    return client


def reason(kind: str, name: str) -> CloseReason:
    return CloseReason.objects.get(kind=kind, name=name)


def objection(admin: User, deal: Deal, name: str) -> None:
    objection_types_ensure_defaults()
    objection_log(actor=admin, deal=deal, objection_type=ObjectionType.objects.get(name=name))
