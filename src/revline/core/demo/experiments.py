"""Demo experiments, on top of the demo's landing pages and contacts (run after everything else).

- A finished button-label test on a landing page: four weeks, about 2,800 visitors split half
  and half, the concrete label clearly ahead (about 5 % vs 8 % of visitors submit the form).
- A running subject-line test on a campaign email to about 1,800 contacts: the question subject
  is ahead on opens, but not yet decisively by the always-valid interval.

Visitors and contacts are assigned with the real hash, so the split passes the sample-ratio
check. Contacts are hashed by their address, not by their id as the services do (the exposures
still carry the services' key, so that later opens find them): ids follow the database's
sequences, which PostgreSQL never rolls back, and the demo must be the same on every database.
Each person's pre-period touches are drawn so that active people convert more often, which is
what CUPED uses. Exposures, their touchpoints and the email's sends are stored in bulk, shaped
as the services store them.
"""

import random
import secrets
import uuid
from datetime import datetime, timedelta

from revline.content.models import LandingPage
from revline.core.models import Role, User
from revline.email.models import Email, EmailStatus, Send, SendState
from revline.email.send_services import message_id_for
from revline.experiments.assignment import Arm, assign, contact_key, visitor_key
from revline.experiments.models import (
    Experiment,
    ExperimentGoal,
    ExperimentKind,
    ExperimentStatus,
    Exposure,
    Variant,
)
from revline.experiments.services import touchpoint_params
from revline.people.models import Contact
from revline.tracking.models import Touchpoint, TouchpointKind, Visitor

from . import catalog

BATCH = 1000
CTA_DAYS = 28
CTA_VISITORS_PER_DAY = 100
CTA_RATES = {"a": 0.05, "b": 0.08}
EMAIL_CONTACTS = 1800
EMAIL_OPEN_RATES = {"a": 0.24, "b": 0.285}
# Pre-period touches: most people are new, a few very active; conversion grows with activity.
TOUCH_CHOICES = (0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 6, 9)
TOUCH_MEAN = sum(TOUCH_CHOICES) / len(TOUCH_CHOICES)


def _odds(rng: random.Random, rate: float, touches: int) -> bool:
    """Converts with probability `rate` on average, more likely the more pre-period touches."""
    lift = (0.5 + 0.5 * touches / TOUCH_MEAN) if TOUCH_MEAN else 1.0
    return rng.random() < min(rate * lift, 0.95)


def _owner() -> User | None:
    return (
        User.objects.filter(role=Role.MARKETER, is_active=True).order_by("pk").first()
        or User.objects.filter(is_superuser=True).order_by("pk").first()
    )


def _experiment(**fields: object) -> Experiment:
    return Experiment.objects.create(created_by=_owner(), **fields)


def _touch(kind: str, exposure: Exposure, at: datetime, goal: str | None = None) -> Touchpoint:
    return Touchpoint(
        kind=kind,
        occurred_at=at,
        visitor_id=exposure.visitor_id,
        contact_id=exposure.contact_id,
        params=touchpoint_params(
            experiment=exposure.experiment, variant=exposure.variant, goal=goal
        ),
    )


def _store(exposures: list[Exposure]) -> int:
    """Exposures and their exposure/goal touchpoints."""
    Exposure.objects.bulk_create(exposures, batch_size=BATCH)
    touches: list[Touchpoint] = []
    for exposure in exposures:
        touches.append(_touch(TouchpointKind.EXPERIMENT_EXPOSURE, exposure, exposure.exposed_at))
        if exposure.converted_at is not None:
            goal = exposure.experiment.goal
            touches.append(
                _touch(TouchpointKind.EXPERIMENT_CONVERSION, exposure, exposure.converted_at, goal)
            )
    Touchpoint.objects.bulk_create(touches, batch_size=BATCH)
    return len(touches)


def _stable_key(address: str) -> str:
    """What a demo contact is assigned by: their address, the same in every build."""
    return f"e:{address.strip().lower()}"


def _cta_test(rng: random.Random, now: datetime, *, per_day: int) -> tuple[int, int]:
    page = LandingPage.objects.filter(is_published=True).order_by("pk").first()
    if page is None:
        return 0, 0
    started = (now - timedelta(days=CTA_DAYS + 17)).replace(hour=9)
    experiment = _experiment(
        name=f"Button label on {page.title}",
        kind=ExperimentKind.CTA_LABEL,
        status=ExperimentStatus.STOPPED,
        goal=ExperimentGoal.FORM_SUBMISSION,
        hypothesis="Saying exactly what happens next (a short demo) gets more visitors to send "
        "the form than a vague “get in touch”.",
        landing_page=page,
        salt=f"{rng.getrandbits(64):016x}",
        started_at=started,
        stopped_at=started + timedelta(days=CTA_DAYS),
    )
    control = Variant.objects.create(
        experiment=experiment, key="a", name="Get in touch", is_control=True, position=0,
        cta_label=page.cta_label or "Get in touch",
    )  # fmt: skip
    treated = Variant.objects.create(
        experiment=experiment, key="b", name="Book a demo", position=1,
        cta_label="Book my 20-minute demo",
    )  # fmt: skip
    variants = {"a": control, "b": treated}
    arms = [Arm("a", 1), Arm("b", 1)]
    visitors: list[Visitor] = []
    exposures: list[Exposure] = []
    for day in range(CTA_DAYS):
        for _ in range(max(1, per_day + rng.randint(-per_day // 5, per_day // 5))):
            at = started + timedelta(days=day, seconds=rng.uniform(0, 86_000))
            visitor = Visitor(id=uuid.UUID(int=rng.getrandbits(128), version=4), first_seen_at=at,
                              last_seen_at=at)  # fmt: skip
            visitors.append(visitor)
            key = assign(salt=experiment.salt, subject_key=visitor_key(visitor.id), arms=arms)
            touches = rng.choice(TOUCH_CHOICES)
            converted = _odds(rng, CTA_RATES[key], touches)
            exposures.append(
                Exposure(
                    experiment=experiment, variant=variants[key],
                    subject_key=visitor_key(visitor.id), visitor=visitor, exposed_at=at,
                    converted_at=at + timedelta(minutes=rng.uniform(1, 20)) if converted else None,
                    pre_period_touches=touches,
                )
            )  # fmt: skip
    Visitor.objects.bulk_create(visitors, batch_size=BATCH)
    touches_written = _store(exposures)
    return len(exposures), touches_written


def _email_test(rng: random.Random, now: datetime) -> tuple[int, int]:
    contacts = list(
        Contact.objects.exclude(email="").order_by("pk").values_list("pk", "email")[:EMAIL_CONTACTS]
    )
    if len(contacts) < 10:
        return 0, 0
    started = (now - timedelta(days=4)).replace(hour=10)
    email = Email.objects.create(
        name="Product tips – April",
        subject="Three ways to shorten your sales cycle",
        status=EmailStatus.SENDING,
        started_at=started,
        created_by=_owner(),
    )
    experiment = _experiment(
        name="Subject line: statement vs question",
        kind=ExperimentKind.EMAIL_SUBJECT,
        status=ExperimentStatus.RUNNING,
        goal=ExperimentGoal.EMAIL_OPEN,
        hypothesis="A question that names the reader's problem is opened more often.",
        email=email,
        salt=f"{rng.getrandbits(64):016x}",
        started_at=started - timedelta(minutes=5),
    )
    control = Variant.objects.create(
        experiment=experiment, key="a", name="Statement", is_control=True, position=0,
        subject="Three ways to shorten your sales cycle",
    )  # fmt: skip
    treated = Variant.objects.create(
        experiment=experiment, key="b", name="Question", position=1,
        subject="{{ contact.first_name|default:'Hi' }}, is your sales cycle too long?",
    )  # fmt: skip
    variants = {"a": control, "b": treated}
    arms = [Arm("a", 1), Arm("b", 1)]
    sends: list[Send] = []
    exposures: list[Exposure] = []
    for pk, address in contacts:
        sent = started + timedelta(seconds=rng.uniform(0, 1800))
        key = assign(salt=experiment.salt, subject_key=_stable_key(address), arms=arms)
        touches = rng.choice(TOUCH_CHOICES)
        opened = (
            sent + timedelta(hours=rng.expovariate(1 / 14))
            if _odds(rng, EMAIL_OPEN_RATES[key], touches)
            else None
        )
        if opened is not None and opened > now:
            opened = None
        sends.append(
            Send(
                email=email, contact_id=pk, to_address=address.lower(), state=SendState.SENT,
                message_id=message_id_for(
                    email_id=email.pk, contact_id=pk, domain=catalog.VENDOR_DOMAIN
                ),
                token=secrets.token_urlsafe(24), queued_at=started, claimed_at=sent,
                sent_at=sent, first_opened_at=opened, open_count=1 if opened else 0,
            )
        )  # fmt: skip
        exposures.append(
            Exposure(
                experiment=experiment, variant=variants[key], subject_key=contact_key(pk),
                contact_id=pk, exposed_at=sent, converted_at=opened, pre_period_touches=touches,
            )
        )  # fmt: skip
    Send.objects.bulk_create(sends, batch_size=BATCH)
    touches_written = _store(exposures)
    return len(exposures), touches_written


def build_experiments(*, rng: random.Random, now: datetime) -> dict[str, int]:
    # The full demo (2,000 contacts) gets 100 visitors a day; smaller demos (tests) fewer.
    size = min(1.0, Contact.objects.count() / 2000)
    cta_exposures, cta_touches = _cta_test(
        rng, now, per_day=max(5, round(CTA_VISITORS_PER_DAY * size))
    )
    email_exposures, email_touches = _email_test(rng, now)
    return {
        "experiments": Experiment.objects.count(),
        "experiment exposures": cta_exposures + email_exposures,
        "experiment touchpoints": cta_touches + email_touches,
    }
