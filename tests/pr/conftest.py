"""PR fixtures: a campaign, media contacts and one release in every status."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.campaigns.services import campaign_create
from revline.pr.models import MediaContact, PressRelease
from revline.pr.services import (
    media_contact_create,
    press_release_create,
    press_release_distribute,
    press_release_transition,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
D0 = date(2025, 3, 3)


@pytest.fixture
def launch(db) -> Campaign:
    return campaign_create(actor=None, name="Spring launch", channel=Channel.PR)


@dataclass
class Press:
    ada: MediaContact
    ben: MediaContact
    cleo: MediaContact


@pytest.fixture
def press(db) -> Press:
    return Press(
        ada=media_contact_create(
            actor=None, name="Ada Lovelace", outlet="TechDaily", beat="SaaS", email="ada@tech.test"
        ),
        ben=media_contact_create(
            actor=None, name="Ben Okri", outlet="Finance Weekly", beat="Fintech"
        ),
        cleo=media_contact_create(actor=None, name="Cleo Park", outlet="TechDaily", beat="AI"),
    )


@dataclass
class Releases:
    draft: PressRelease
    review: PressRelease
    approved: PressRelease
    distributed: PressRelease


def release_in(status: str, title: str, recipients=(), campaign=None) -> PressRelease:
    release = press_release_create(
        actor=None, title=title, body="<p>Body</p>", summary="Short", campaign=campaign
    )
    steps = {"draft": [], "review": ["review"], "approved": ["review", "approved"]}
    for step in steps.get(status, ["review", "approved"]):
        release = press_release_transition(actor=None, release=release, to_status=step, at=T0)
    if status == "distributed":
        release = press_release_distribute(
            actor=None, release=release, recipients=list(recipients), at=T0
        )
    return release


@pytest.fixture
def releases(press, launch) -> Releases:
    return Releases(
        draft=release_in("draft", "Draft news"),
        review=release_in("review", "Review news"),
        approved=release_in("approved", "Approved news", campaign=launch),
        distributed=release_in(
            "distributed", "Big launch", recipients=[press.ada, press.ben], campaign=launch
        ),
    )
