import pytest

from revline.leads.models import LifecycleTransition
from revline.leads.services import lifecycle_advance
from revline.people.models import LifecycleStage, TimelineEvent
from revline.people.services import contact_create


@pytest.fixture
def contact(db):
    return contact_create(actor=None, email="x@example.com")


def test_forward_move_is_stored_with_cause_actor_and_reason(contact, rep_a):
    transition = lifecycle_advance(
        contact=contact,
        to_stage=LifecycleStage.MQL,
        cause="person",
        actor=rep_a,
        reason="Asked for a demo",
    )

    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"
    assert (transition.from_stage, transition.to_stage, transition.actor, transition.reason) == (
        "subscriber",
        "mql",
        rep_a,
        "Asked for a demo",
    )
    assert TimelineEvent.objects.filter(contact=contact, kind="lifecycle_changed").count() == 1


def test_backward_or_same_moves_change_nothing(contact):
    lifecycle_advance(contact=contact, to_stage=LifecycleStage.SQL, cause="rule")

    assert lifecycle_advance(contact=contact, to_stage=LifecycleStage.LEAD, cause="form") is None
    assert lifecycle_advance(contact=contact, to_stage=LifecycleStage.SQL, cause="form") is None
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "sql"
    assert LifecycleTransition.objects.count() == 1


def test_side_stages_are_not_reached_by_advance(contact):
    with pytest.raises(ValueError):
        lifecycle_advance(contact=contact, to_stage=LifecycleStage.DISQUALIFIED, cause="person")
