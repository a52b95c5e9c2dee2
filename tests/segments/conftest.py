"""A small world of three contacts that differ in every way a segment can ask about."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.content.models import Form, FormSubmission
from revline.core.models import User
from revline.email.models import Email, Send, SendState
from revline.people.models import Company, ConsentRecord, ConsentStatus, Contact, Tag
from revline.sales.models import Deal, DealStatus, Stage
from revline.sales.services import pipeline_default
from revline.segments.selectors import segment_contacts
from revline.tracking.models import Touchpoint, TouchpointKind

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


@dataclass
class World:
    ada: Contact
    bob: Contact
    cy: Contact
    spring: Campaign
    autumn: Campaign
    proposal: Stage
    discovery: Stage
    demo_form: Form
    owner: User


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _touch(contact: Contact, kind: str, when: datetime, **extra: Any) -> None:
    Touchpoint.objects.create(contact=contact, kind=kind, occurred_at=when, **extra)


def _consent(
    contact: Contact, status: str, when: datetime, purpose: str = "marketing_email"
) -> None:
    ConsentRecord.objects.create(
        contact=contact, purpose=purpose, status=status, recorded_at=when, source="test"
    )


def _send(email: Email, contact: Contact, *, clicked: bool, state: str = SendState.SENT) -> None:
    Send.objects.create(
        email=email,
        contact=contact,
        to_address=contact.email,
        state=state,
        message_id=f"<{email.pk}.{contact.pk}@test>",
        token=f"t{email.pk}x{contact.pk}",
        queued_at=ago(20),
        sent_at=ago(20),
        first_clicked_at=ago(19) if clicked else None,
    )


@pytest.fixture
def world(marketer) -> World:
    acme = Company.objects.create(
        name="Acme Logistics", domain="acme.example", industry="Logistics", size="51-200",
        country="DE",
    )  # fmt: skip
    beta = Company.objects.create(name="Beta Shops", industry="Retail")
    ada = Contact.objects.create(
        first_name="Ada", last_name="Lovelace", email="ada@acme.example", title="CTO",
        country="DE", source="webinar", company=acme, lifecycle_stage="mql", fit_score=80,
        engagement_score=40, owner=marketer,
    )  # fmt: skip
    bob = Contact.objects.create(
        first_name="Bob", last_name="Builder", email="bob@example.com", country="FR",
        lifecycle_stage="lead", fit_score=10, engagement_score=5,
    )  # fmt: skip
    cy = Contact.objects.create(
        first_name="Cy", last_name="Young", email="", country="", company=beta,
        lifecycle_stage="customer", fit_score=50, engagement_score=90,
    )  # fmt: skip
    Contact.objects.filter(pk=ada.pk).update(created_at=datetime(2025, 1, 10, 9, tzinfo=UTC))
    Contact.objects.filter(pk=bob.pk).update(created_at=ago(10))
    Contact.objects.filter(pk=cy.pk).update(created_at=ago(100))
    vip, news = Tag.objects.create(name="vip"), Tag.objects.create(name="newsletter")
    ada.tags.add(vip)
    cy.tags.add(news)
    # Consent: Ada granted; Bob granted then withdrew; Cy never asked.
    _consent(ada, ConsentStatus.GRANTED, ago(50))
    _consent(bob, ConsentStatus.GRANTED, ago(50))
    _consent(bob, ConsentStatus.WITHDRAWN, ago(5))
    _consent(cy, ConsentStatus.GRANTED, ago(5), purpose="phone_calls")
    spring = Campaign.objects.create(name="Spring", channel=Channel.EMAIL)
    autumn = Campaign.objects.create(name="Autumn", channel=Channel.EMAIL)
    # Pricing page: Ada 3 times in 30 days; Bob twice in 30 days and once 40 days ago; Cy blog.
    for days in (1, 5, 29):
        _touch(ada, TouchpointKind.PAGE_VIEW, ago(days), url="https://shop.example/pricing?x=1")
    for days in (2, 3, 40):
        _touch(bob, TouchpointKind.PAGE_VIEW, ago(days), url="https://shop.example/Pricing")
    for days in range(1, 6):
        _touch(cy, TouchpointKind.PAGE_VIEW, ago(days), url="https://shop.example/blog")
    _touch(ada, TouchpointKind.CLICK, ago(60), campaign=spring)
    _touch(ada, TouchpointKind.EMAIL_OPEN, ago(10), campaign=spring)
    _touch(bob, TouchpointKind.EMAIL_OPEN, ago(100), campaign=spring)
    spring_email = Email.objects.create(name="Spring news", campaign=spring)
    _send(spring_email, ada, clicked=True)
    _send(spring_email, bob, clicked=False)
    autumn_email = Email.objects.create(name="Autumn news", campaign=autumn)
    _send(autumn_email, cy, clicked=True, state=SendState.FAILED)
    pipeline = pipeline_default()
    proposal = pipeline.stages.get(name="Proposal")
    discovery = pipeline.stages.get(name="Discovery")
    Deal.objects.create(
        name="Ada deal", pipeline=pipeline, stage=proposal, contact=ada, status=DealStatus.OPEN,
        stage_changed_at=ago(3), created_at=ago(30),
    )  # fmt: skip
    Deal.objects.create(
        name="Bob deal", pipeline=pipeline, stage=proposal, contact=bob, status=DealStatus.LOST,
        stage_changed_at=ago(3), created_at=ago(30),
    )  # fmt: skip
    Deal.objects.create(
        name="Cy deal", pipeline=pipeline, stage=discovery, contact=cy, status=DealStatus.OPEN,
        stage_changed_at=ago(3), created_at=ago(30),
    )  # fmt: skip
    demo_form = Form.objects.create(name="Demo request", embed_key="demo-key")
    FormSubmission.objects.create(form=demo_form, contact=ada, data={}, submitted_at=ago(45))
    return World(ada, bob, cy, spring, autumn, proposal, discovery, demo_form, marketer)


def names(definition: dict[str, Any], now: datetime = NOW) -> list[str]:
    """First names of the contacts a definition selects, sorted."""
    contacts = segment_contacts(definition=definition, now=now)
    return sorted(contacts.values_list("first_name", flat=True))


def one(condition: dict[str, Any]) -> dict[str, Any]:
    return {"match": "all", "conditions": [condition]}
