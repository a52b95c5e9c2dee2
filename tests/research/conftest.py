"""A hand-built market: ten contacts in four industries with known customers, deals and cycles.

    industry   size     contacts  customers  deals (won/lost)  won amounts               cycles (days)
    Software   51-200   6         1 (s2)     1 (0/1)           -                         -
    Retail     1-10     2         1 (r1)     2 (1/1)           2,000                     10
    Energy     5001+    1         1 (e1)     4 (3/1)           10,000 20,000 30,000      30 40 60
    (none)     -        1         1 (u1)     1 (1/0)           4,000                     20

Countries: DE 5 (s1-s5), FR 3 (s6, r1, r2), US 1 (e1), GB 1 (u1). Lead sources: e1 first came
through an events campaign (later paid search), r1 through paid search, u1 was imported, the rest
are unknown. e1's won deals are owned by rep_b (team B); every other deal has no owner.
Contacts are created on 2025-03-01, except u1 on 2024-12-01.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.core.models import User
from revline.people.models import Company, Contact
from revline.sales.models import Deal, DealStatus, StageKind
from revline.sales.services import pipeline_default
from revline.tracking.models import Touchpoint, TouchpointKind

CREATED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CLOSED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Market:
    contacts: dict[str, Contact]
    deals: list[Deal]


def _contact(key: str, company: Company | None, country: str, **extra: object) -> Contact:
    return Contact.objects.create(
        first_name=key.upper(), last_name="Test", email=f"{key}@example.com", company=company,
        country=country, **extra,
    )  # fmt: skip


def make_deal(
    contact: Contact,
    status: str,
    *,
    amount: str = "1000",
    cycle_days: int = 10,
    owner: User | None = None,
) -> Deal:
    pipeline = pipeline_default()
    kind = {DealStatus.WON: StageKind.WON, DealStatus.LOST: StageKind.LOST}.get(
        status, StageKind.OPEN
    )
    stage = pipeline.stages.filter(kind=kind).order_by("position").first()
    created = CLOSED - timedelta(days=cycle_days)
    return Deal.objects.create(
        name=f"{contact.first_name} {status}", pipeline=pipeline, stage=stage, contact=contact,
        amount=Decimal(amount), amount_base=Decimal(amount), status=status, owner=owner,
        closed_at=CLOSED if status != DealStatus.OPEN else None, stage_changed_at=created,
        created_at=created,
    )  # fmt: skip


@pytest.fixture
def market(db, rep_b) -> Market:
    software = Company.objects.create(name="Soft", industry="Software", size="51-200", country="DE")
    retail = Company.objects.create(name="Shop", industry="Retail", size="1-10", country="FR")
    energy = Company.objects.create(name="Power", industry="Energy", size="5001+", country="US")
    c: dict[str, Contact] = {}
    for i in range(1, 7):
        c[f"s{i}"] = _contact(f"s{i}", software, "FR" if i == 6 else "DE")
    c["s1"].title = "VP Sales"
    c["s1"].save()
    c["s2"].lifecycle_stage = "customer"
    c["s2"].save()
    c["r1"] = _contact("r1", retail, "FR", lifecycle_stage="customer", title="Owner")
    c["r2"] = _contact("r2", retail, "FR", lifecycle_stage="lead")
    c["e1"] = _contact("e1", energy, "US", lifecycle_stage="customer", title="VP Marketing")
    c["u1"] = _contact("u1", None, "GB", lifecycle_stage="evangelist", source="import")
    Contact.objects.update(created_at=CREATED)
    Contact.objects.filter(pk=c["u1"].pk).update(created_at=datetime(2024, 12, 1, tzinfo=UTC))

    events = Campaign.objects.create(name="Summit", channel=Channel.EVENTS)
    search = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    touch = Touchpoint.objects.create
    touch(contact=c["e1"], kind=TouchpointKind.PAGE_VIEW, occurred_at=CREATED - timedelta(days=9))
    touch(contact=c["e1"], kind=TouchpointKind.PAGE_VIEW, campaign=events,
          occurred_at=CREATED - timedelta(days=5))  # fmt: skip
    touch(contact=c["e1"], kind=TouchpointKind.CLICK, campaign=search,
          occurred_at=CREATED - timedelta(days=2))  # fmt: skip
    touch(contact=c["r1"], kind=TouchpointKind.CLICK, campaign=search, occurred_at=CREATED)

    deals = [
        make_deal(c["s1"], DealStatus.LOST, amount="5000"),
        make_deal(c["r1"], DealStatus.WON, amount="2000", cycle_days=10),
        make_deal(c["r2"], DealStatus.LOST),
        make_deal(c["e1"], DealStatus.WON, amount="10000", cycle_days=30, owner=rep_b),
        make_deal(c["e1"], DealStatus.WON, amount="20000", cycle_days=40, owner=rep_b),
        make_deal(c["e1"], DealStatus.WON, amount="30000", cycle_days=60, owner=rep_b),
        make_deal(c["e1"], DealStatus.LOST),
        make_deal(c["u1"], DealStatus.WON, amount="4000", cycle_days=20),
    ]
    return Market(contacts=c, deals=deals)
