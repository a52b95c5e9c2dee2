"""The business services emit their events (one outbox row per change)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revline.people.services import contact_create
from revline.sales.services import deal_close_lost, deal_close_won, deal_create, deal_move_stage
from revline.webhooks.models import Event

from .conftest import make_endpoint

ALL = [
    "contact.created",
    "contact.lifecycle_changed",
    "deal.stage_changed",
    "deal.won",
    "deal.lost",
]


@pytest.mark.django_db
def test_deal_moves_and_closes_emit_their_events(rep_a):
    make_endpoint("https://93.184.216.34/", ALL)
    contact = contact_create(actor=None, email="ada@example.com")
    deal = deal_create(actor=None, name="Big", amount=Decimal("1200"), contact=contact, owner=rep_a)
    target = deal.pipeline.stages.filter(kind="open").exclude(pk=deal.stage_id).first()
    previous = deal.stage
    deal_move_stage(actor=rep_a, deal=deal, stage=target)
    deal_close_won(actor=rep_a, deal=deal, note="Signed")
    other = deal_create(actor=None, name="Small", amount=Decimal("10"), owner=rep_a)
    deal_close_lost(actor=rep_a, deal=other, note="Budget")

    moved = Event.objects.get(type="deal.stage_changed")
    assert moved.payload["deal"]["id"] == deal.pk
    assert moved.payload["deal"]["stage_id"] == target.pk
    assert moved.payload["from_stage_id"] == previous.pk
    assert moved.payload["deal"]["amount"] == "1200.00"
    won = Event.objects.get(type="deal.won")
    assert (won.payload["deal"]["status"], won.payload["reason"]) == ("won", "Signed")
    lost = Event.objects.get(type="deal.lost")
    assert (lost.payload["deal"]["id"], lost.payload["reason"]) == (other.pk, "Budget")
    lifecycle = Event.objects.filter(type="contact.lifecycle_changed").order_by("created_at")
    assert [(e.payload["contact"]["id"], e.payload["to_stage"]) for e in lifecycle] == [
        (contact.pk, "opportunity"),
        (contact.pk, "customer"),
    ]
    assert Event.objects.filter(type="contact.created").count() == 1
