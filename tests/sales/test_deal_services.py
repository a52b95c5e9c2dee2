"""Deal services: stage history, closing with reasons, lifecycle effects and team permissions."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.people.models import LifecycleStage, TimelineEvent
from revline.people.services import contact_create
from revline.sales.models import Deal, DealStageChange, DealStatus, StageKind
from revline.sales.services import (
    deal_close_lost,
    deal_close_won,
    deal_create,
    deal_move_stage,
    deal_reopen,
    deal_update,
    pipeline_create,
    pipeline_default,
)


@pytest.fixture
def contact(db):
    return contact_create(actor=None, email="buyer@example.com", first_name="Bea")


@pytest.fixture
def deal(rep_a, contact) -> Deal:
    return deal_create(actor=rep_a, name="Bea's deal", amount=Decimal("1200.50"), contact=contact)


def test_default_pipeline_is_created_once_with_standard_stages(db):
    first = pipeline_default()
    second = pipeline_default()

    assert first == second
    assert [(s.name, s.probability, s.kind) for s in first.stages.all()] == [
        ("Qualification", 10, "open"),
        ("Discovery", 25, "open"),
        ("Proposal", 50, "open"),
        ("Negotiation", 75, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]


def test_a_pipeline_needs_one_won_and_one_lost_stage(db):
    with pytest.raises(ValidationError):
        pipeline_create(actor=None, name="Broken", stages=[("Only", 10, StageKind.OPEN)])


def test_new_deal_starts_in_first_stage_owned_by_creator_and_makes_contact_an_opportunity(
    deal, rep_a, contact
):
    assert deal.stage.name == "Qualification"
    assert deal.owner == rep_a
    assert deal.status == DealStatus.OPEN
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.OPPORTUNITY
    change = DealStageChange.objects.get(deal=deal)
    assert (change.from_stage, change.to_stage.name, change.changed_by) == (
        None,
        "Qualification",
        rep_a,
    )


def test_moving_a_deal_records_who_and_when(deal, rep_a):
    proposal = deal.pipeline.stages.get(name="Proposal")

    deal_move_stage(actor=rep_a, deal=deal, stage=proposal)

    change = DealStageChange.objects.filter(deal=deal).first()
    assert (change.from_stage.name, change.to_stage.name, change.changed_by) == (
        "Qualification",
        "Proposal",
        rep_a,
    )
    assert TimelineEvent.objects.filter(deal=deal, kind="deal_stage_changed").count() == 1


def test_moving_to_won_directly_is_refused(deal, rep_a):
    won = deal.pipeline.stages.get(kind=StageKind.WON)

    with pytest.raises(ValidationError):
        deal_move_stage(actor=rep_a, deal=deal, stage=won)
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN


def test_closing_won_needs_a_reason(deal, rep_a):
    with pytest.raises(ValidationError) as error:
        deal_close_won(actor=rep_a, deal=deal, note="   ")

    assert "reason" in error.value.message_dict
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN
    assert deal.closed_at is None


def test_closing_won_makes_the_contact_a_customer(deal, rep_a, contact):
    deal_close_won(actor=rep_a, deal=deal, note="Best fit")

    deal.refresh_from_db()
    contact.refresh_from_db()
    assert (deal.status, deal.stage.kind, deal.close_note) == ("won", "won", "Best fit")
    assert deal.closed_at is not None
    assert contact.lifecycle_stage == LifecycleStage.CUSTOMER
    assert TimelineEvent.objects.filter(contact=contact, kind="deal_won").count() == 1


def test_closing_lost_keeps_the_contact_stage(deal, rep_a, contact):
    deal_close_lost(actor=rep_a, deal=deal, note="Price")

    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.OPPORTUNITY
    with pytest.raises(ValidationError):
        deal_close_won(actor=rep_a, deal=deal, note="changed mind")


def test_reopen_puts_the_deal_back_in_the_last_open_stage(deal, rep_a):
    deal_close_lost(actor=rep_a, deal=deal, note="Timing")

    deal_reopen(actor=rep_a, deal=deal)

    deal.refresh_from_db()
    assert (deal.status, deal.stage.name, deal.closed_at, deal.close_note) == (
        "open",
        "Negotiation",
        None,
        "",
    )


def test_a_rep_of_another_team_cannot_change_the_deal(deal, rep_b):
    proposal = deal.pipeline.stages.get(name="Proposal")

    with pytest.raises(PermissionDenied):
        deal_move_stage(actor=rep_b, deal=deal, stage=proposal)
    with pytest.raises(PermissionDenied):
        deal_close_won(actor=rep_b, deal=deal, note="mine now")
    with pytest.raises(PermissionDenied):
        deal_update(actor=rep_b, deal=deal, amount=Decimal("1"))
    deal.refresh_from_db()
    assert (deal.stage.name, deal.status, deal.amount) == (
        "Qualification",
        "open",
        Decimal("1200.50"),
    )


def test_a_manager_of_the_same_team_can_change_the_deal(deal, manager_a):
    deal_close_won(actor=manager_a, deal=deal, note="Signed")

    assert deal.status == DealStatus.WON


def test_a_marketer_cannot_create_or_change_deals(marketer, deal, contact):
    with pytest.raises(PermissionDenied):
        deal_create(actor=marketer, name="Nope", amount=Decimal("1"), contact=contact)
    with pytest.raises(PermissionDenied):
        deal_close_won(actor=marketer, deal=deal, note="x")
    assert Deal.objects.count() == 1


def test_negative_amount_is_refused(rep_a, contact):
    with pytest.raises(ValidationError) as error:
        deal_create(actor=rep_a, name="Bad", amount=Decimal("-5"), contact=contact)

    assert "amount" in error.value.message_dict
    assert Deal.objects.count() == 0


def test_update_refuses_fields_outside_the_editable_set(deal, rep_a):
    with pytest.raises(ValidationError):
        deal_update(actor=rep_a, deal=deal, status="won")
    deal.refresh_from_db()
    assert deal.status == "open"


def test_a_rep_cannot_hand_a_deal_to_another_team(deal, rep_a, rep_b, contact):
    with pytest.raises(ValidationError) as error:
        deal_update(actor=rep_a, deal=deal, owner=rep_b)
    assert "owner" in error.value.message_dict
    with pytest.raises(ValidationError):
        deal_create(actor=rep_a, name="Gift", amount=Decimal("1"), contact=contact, owner=rep_b)
    deal.refresh_from_db()
    assert deal.owner == rep_a
    assert Deal.objects.count() == 1


def test_a_rep_can_hand_a_deal_to_a_teammate(deal, rep_a, manager_a, admin_user, rep_b):
    deal_update(actor=rep_a, deal=deal, owner=manager_a)
    assert deal.owner == manager_a

    deal_update(actor=admin_user, deal=deal, owner=rep_b)
    assert deal.owner == rep_b
