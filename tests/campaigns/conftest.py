"""A small, exactly countable funnel for two campaigns.

Spring launch (paid search, budget €300):
- Ada clicks a tracked link, views the page and submits the form; her €1,000 deal is won later.
- An anonymous visitor clicks and views the page.
- Bob submits the form twice; his €500 deal was won *before* he touched the campaign.
- Cat opens an email of the campaign; her $700 deal is won (another currency).
- Eve views the page; her deal is lost.
Autumn webinar (email, no budget): Dan submits its form; his €2,000 deal is won.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from revline.campaigns.models import AdSpend, Campaign, CampaignStatus, Channel, SpendSource
from revline.leads.models import TransitionCause
from revline.leads.services import lifecycle_advance
from revline.people.models import Contact, LifecycleStage
from revline.people.services import contact_create
from revline.sales.services import deal_close_lost, deal_close_won, deal_create
from revline.tracking.models import TouchpointKind, Visitor
from revline.tracking.services import link_create, touchpoint_record, visitor_touch

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@dataclass
class Funnel:
    spring: Campaign
    autumn: Campaign
    ada: Contact
    bob: Contact


def _visitor(contact: Contact | None = None) -> Visitor:
    visitor = visitor_touch(visitor_id=None, at=T0)
    if contact is not None:
        visitor.contact = contact
        visitor.save(update_fields=["contact"])
    return visitor


def _touch(kind: str, campaign: Campaign, at: datetime, visitor=None, contact=None, **extra):
    return touchpoint_record(
        kind=kind, visitor=visitor, contact=contact, campaign=campaign, occurred_at=at, **extra
    )


def _won(contact: Contact, amount: str, at: datetime, currency: str = "EUR") -> None:
    deal = deal_create(
        actor=None,
        name=f"{contact.first_name} deal",
        amount=Decimal(amount),
        currency=currency,
        contact=contact,
        created_at=at - timedelta(days=20),
    )
    deal_close_won(actor=None, deal=deal, note="Good fit", at=at)


@pytest.fixture
def funnel(marketer) -> Funnel:
    spring = Campaign.objects.create(
        name="Spring launch",
        channel=Channel.PAID_SEARCH,
        status=CampaignStatus.ACTIVE,
        budget=Decimal("300"),
        currency="EUR",
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring-launch",
        start_date=T0.date(),
        owner=marketer,
    )
    autumn = Campaign.objects.create(
        name="Autumn webinar",
        channel=Channel.EMAIL,
        status=CampaignStatus.PLANNED,
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="autumn-webinar",
        start_date=T0.date() + timedelta(days=180),
    )
    link = link_create(actor=None, campaign=spring, destination_url="https://example.com/lp/spring")
    ada, bob, cat, dan, eve = (
        contact_create(actor=None, first_name=name, email=f"{name.lower()}@example.com")
        for name in ("Ada", "Bob", "Cat", "Dan", "Eve")
    )

    va = _visitor(ada)
    _touch(TouchpointKind.CLICK, spring, T0, visitor=va, link=link)
    _touch(TouchpointKind.PAGE_VIEW, spring, T0 + timedelta(minutes=1), visitor=va)
    _touch(TouchpointKind.FORM_SUBMISSION, spring, T0 + timedelta(minutes=2), visitor=va)
    _won(ada, "1000", T0 + timedelta(days=10))

    vb = _visitor()
    _touch(TouchpointKind.CLICK, spring, T0, visitor=vb, link=link)
    _touch(TouchpointKind.PAGE_VIEW, spring, T0, visitor=vb)

    vc = _visitor(bob)
    _touch(TouchpointKind.FORM_SUBMISSION, spring, T0 + timedelta(days=1), visitor=vc)
    _touch(TouchpointKind.FORM_SUBMISSION, spring, T0 + timedelta(days=2), visitor=vc)
    _won(bob, "500", T0 - timedelta(days=1))

    _touch(TouchpointKind.EMAIL_OPEN, spring, T0, contact=cat)
    _won(cat, "700", T0 + timedelta(days=5), currency="USD")

    _touch(TouchpointKind.PAGE_VIEW, spring, T0, visitor=_visitor(eve))
    lost = deal_create(
        actor=None, name="Eve deal", amount=Decimal("900"), contact=eve, created_at=T0
    )
    deal_close_lost(actor=None, deal=lost, note="No budget", at=T0 + timedelta(days=3))

    _touch(TouchpointKind.FORM_SUBMISSION, autumn, T0, visitor=_visitor(dan))
    _won(dan, "2000", T0 + timedelta(days=3))
    return Funnel(spring=spring, autumn=autumn, ada=ada, bob=bob)


# ---------------------------------------------------------------- plan vs actual
#
# "Launch" (paid social, EUR, budget €1,000; goals: 4 leads, 2 MQLs, €10,000 pipeline,
# €20,000 won revenue) with €500 of spend over two days (15,000 impressions, 300 clicks):
# - Ann submits its form and becomes an MQL a day later.
# - Ben submits it; his €6,000 deal is opened after that and won.
# - Cid only views a page; he had become an MQL days before.
# - Dee submits it; her stage was set to SQL without a recorded change.
# - Eve submits it; her €9,000 deal was opened before her touch and won after it.
# - Fay views a page; her €4,000 deal is opened after that and still open.
# Leads 4, MQLs 5 (Ann, Ben, Dee, Eve, Fay), SQLs 4, pipeline €10,000 (Ben, Fay), won revenue
# €15,000 (Ben, Eve), new customers 2: CPL €125, ROAS 30, CAC €250, budget 50% used.


@dataclass
class Launch:
    campaign: Campaign
    contacts: dict[str, Contact]


def build_launch(owner=None) -> Launch:
    campaign = Campaign.objects.create(
        name="Launch",
        channel=Channel.PAID_SOCIAL,
        status=CampaignStatus.ACTIVE,
        budget=Decimal("1000"),
        currency="EUR",
        utm_campaign="launch",
        start_date=T0.date(),
        owner=owner,
        goal_leads=4,
        goal_mqls=2,
        goal_pipeline=Decimal("10000"),
        goal_revenue=Decimal("20000"),
        audience="Ops leads at <b>logistics</b> firms",
    )
    for day, spend, impressions, clicks in ((0, "300", 10_000, 200), (1, "200", 5_000, 100)):
        AdSpend.objects.create(
            campaign=campaign,
            date=(T0 + timedelta(days=day)).date(),
            source=SpendSource.MANUAL,
            spend=Decimal(spend),
            currency="EUR",
            impressions=impressions,
            clicks=clicks,
        )
    people = {
        name: contact_create(actor=None, first_name=name, email=f"{name.lower()}@launch.example")
        for name in ("Ann", "Ben", "Cid", "Dee", "Eve", "Fay")
    }
    hour = timedelta(hours=1)
    for name, at in (("Ann", T0), ("Ben", T0 + hour), ("Dee", T0), ("Eve", T0)):
        _touch(TouchpointKind.FORM_SUBMISSION, campaign, at, contact=people[name])
    for name in ("Cid", "Fay"):
        _touch(TouchpointKind.PAGE_VIEW, campaign, T0, contact=people[name])

    def mql(name: str, at: datetime) -> None:
        lifecycle_advance(
            contact=people[name],
            to_stage=LifecycleStage.MQL,
            cause=TransitionCause.SCORE,
            occurred_at=at,
        )

    mql("Ann", T0 + timedelta(days=1))
    mql("Cid", T0 - timedelta(days=5))
    Contact.objects.filter(pk=people["Dee"].pk).update(lifecycle_stage=LifecycleStage.SQL)
    ben = deal_create(
        actor=None,
        name="Ben deal",
        amount=Decimal("6000"),
        contact=people["Ben"],
        created_at=T0 + timedelta(days=1),
    )
    deal_close_won(actor=None, deal=ben, note="Fit", at=T0 + timedelta(days=5))
    eve = deal_create(
        actor=None,
        name="Eve deal",
        amount=Decimal("9000"),
        contact=people["Eve"],
        created_at=T0 - timedelta(days=10),
    )
    deal_close_won(actor=None, deal=eve, note="Fit", at=T0 + timedelta(days=3))
    deal_create(
        actor=None,
        name="Fay deal",
        amount=Decimal("4000"),
        contact=people["Fay"],
        created_at=T0 + timedelta(days=1),
    )
    for contact in people.values():
        contact.refresh_from_db()
    return Launch(campaign=campaign, contacts=people)


@pytest.fixture
def launch(marketer) -> Launch:
    return build_launch(owner=marketer)
