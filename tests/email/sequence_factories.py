"""Builders for sequence tests: contacts, sequences with steps, a fixed clock."""

from datetime import UTC, datetime, timedelta
from typing import Any

from revline.content.models import Form
from revline.email.models import (
    Email,
    EmailKind,
    Sequence,
    SequenceStatus,
    SequenceStep,
    SequenceTrigger,
)
from revline.people.models import Contact

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def later(**delta: float) -> datetime:
    return NOW + timedelta(**delta)


def make_contact(email: str = "ada@example.com", **fields: Any) -> Contact:
    return Contact.objects.create(email=email, first_name=email.split("@")[0].title(), **fields)


def make_form(name: str = "Demo request") -> Form:
    return Form.objects.create(name=name, embed_key=f"key-{name.lower().replace(' ', '-')}")


def make_sequence(
    *,
    trigger: str = SequenceTrigger.FORM_SUBMITTED,
    config: dict[str, Any] | None = None,
    steps: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
    status: str = SequenceStatus.ACTIVE,
    name: str = "Nurture",
    **fields: Any,
) -> Sequence:
    sequence = Sequence.objects.create(
        name=name, trigger=trigger, trigger_config=config or {}, status=status, **fields
    )
    for position, (kind, step_config) in enumerate(steps):
        SequenceStep.objects.create(
            sequence=sequence, position=position, kind=kind, config=step_config
        )
    return sequence


def make_automated_email(name: str = "Welcome") -> Email:
    return Email.objects.create(
        name=name,
        kind=EmailKind.AUTOMATED,
        subject="Welcome, {{ contact.first_name }}",
        body_format="html",
        html="<p>Hello</p>",
    )
