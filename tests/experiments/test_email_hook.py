"""An email with a running subject-line experiment, sent through the real delivery path to a
real SMTP server: each contact gets their variant's subject, is exposed when the server accepts
the message, and converts on open (or on click)."""

import re

import pytest
from django.test import Client

from revline.email import send_services
from revline.email.models import EmailLink, Send
from revline.experiments.assignment import Arm, assign, contact_key
from revline.experiments.models import Experiment, ExperimentGoal, ExperimentKind, Exposure
from revline.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    experiment_create,
    experiment_start,
    experiment_stop,
)
from revline.tracking.models import Touchpoint, TouchpointKind
from tests.email.test_send_services import make_contact, make_email
from tests.smtp import smtp_sink, use_smtp_sink

pytestmark = pytest.mark.django_db

SUBJECTS = {
    "a": "Spring news for {{ contact.first_name }}",
    "b": "{{ contact.first_name }}, 3 ideas",
}


@pytest.fixture
def sink(settings):
    with smtp_sink() as server:
        use_smtp_sink(settings, server)
        yield server


def subject_test(marketer, email, goal=ExperimentGoal.EMAIL_OPEN) -> Experiment:
    spec = ExperimentSpec(
        name="Subject line",
        kind=ExperimentKind.EMAIL_SUBJECT,
        goal=goal,
        email=email,
        variants=[
            VariantSpec(name="News", is_control=True, subject=SUBJECTS["a"]),
            VariantSpec(name="Ideas", subject=SUBJECTS["b"]),
        ],
    )
    return experiment_start(actor=marketer, experiment=experiment_create(actor=marketer, spec=spec))


def send(marketer, email, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send_services.email_send_now(actor=marketer, email=email)


def test_each_contact_gets_the_subject_of_their_variant_and_is_exposed_at_send(
    marketer, sink, django_capture_on_commit_callbacks
):
    # Given 12 consenting contacts, one without consent, and a running subject test
    contacts = [make_contact(n) for n in range(1, 13)]
    make_contact(99, consent=False)
    email = make_email(marketer)
    experiment = subject_test(marketer, email)
    arms = [Arm("a", 1), Arm("b", 1)]

    # When the email is sent
    send(marketer, email, django_capture_on_commit_callbacks)

    # Then each message carries the subject of the contact's variant, personalised
    received = {m.rcpt_tos[0]: m.message["Subject"] for m in sink.messages}
    expected = {}
    for contact in contacts:
        key = assign(salt=experiment.salt, subject_key=contact_key(contact.pk), arms=arms)
        first = contact.first_name
        expected[contact.email] = f"Spring news for {first}" if key == "a" else f"{first}, 3 ideas"
    assert received == expected
    assert {"a", "b"} == {
        assign(salt=experiment.salt, subject_key=contact_key(c.pk), arms=arms) for c in contacts
    }
    # And each recipient (not the skipped contact) was exposed once, with a touchpoint
    exposures = dict(Exposure.objects.values_list("contact__email", "variant__key"))
    assert exposures == {
        c.email: assign(salt=experiment.salt, subject_key=contact_key(c.pk), arms=arms)
        for c in contacts
    }
    assert Touchpoint.objects.filter(kind=TouchpointKind.EXPERIMENT_EXPOSURE).count() == 12


def test_an_open_converts_the_contact_once(marketer, sink, django_capture_on_commit_callbacks):
    ann = make_contact(1)
    email = make_email(marketer)
    experiment = subject_test(marketer, email)
    send(marketer, email, django_capture_on_commit_callbacks)
    token = Send.objects.get(contact=ann).token

    for _ in range(2):
        assert Client().get(f"/e/o/{token}.gif").status_code == 200

    exposure = Exposure.objects.get(contact=ann)
    assert exposure.converted_at is not None
    conversion = Touchpoint.objects.get(kind=TouchpointKind.EXPERIMENT_CONVERSION)
    assert conversion.contact == ann
    assert conversion.params == {
        "experiment": experiment.pk,
        "test": experiment.name,
        "variant": exposure.variant.key,
        "variant_name": exposure.variant.name,
        "goal": "email_open",
    }


def test_a_click_goal_ignores_opens_and_counts_clicks(
    marketer, sink, django_capture_on_commit_callbacks
):
    ann = make_contact(1)
    email = make_email(marketer)
    subject_test(marketer, email, goal=ExperimentGoal.EMAIL_CLICK)
    send(marketer, email, django_capture_on_commit_callbacks)
    token = Send.objects.get(contact=ann).token
    client = Client()

    client.get(f"/e/o/{token}.gif")
    assert Exposure.objects.get(contact=ann).converted_at is None

    link = EmailLink.objects.filter(email=email).order_by("pk").first()
    assert link is not None
    response = client.get(f"/e/c/{token}/{link.pk}")
    assert response.status_code == 302
    assert Exposure.objects.get(contact=ann).converted_at is not None


def test_without_a_running_test_the_subject_is_the_emails_and_nothing_is_recorded(
    marketer, sink, django_capture_on_commit_callbacks
):
    ann = make_contact(1)
    email = make_email(marketer)
    experiment = subject_test(marketer, email)
    experiment_stop(actor=marketer, experiment=experiment)

    send(marketer, email, django_capture_on_commit_callbacks)
    Client().get(f"/e/o/{Send.objects.get(contact=ann).token}.gif")

    assert [m.message["Subject"] for m in sink.messages] == ["Hi Ann1"]
    assert Exposure.objects.count() == 0
    assert not Touchpoint.objects.filter(kind__startswith="experiment").exists()


def test_a_re_sent_chunk_does_not_expose_twice(marketer, sink, django_capture_on_commit_callbacks):
    # Given a sent email whose sends are put back in the queue (as after a worker crash)
    make_contact(1)
    make_contact(2)
    email = make_email(marketer)
    subject_test(marketer, email)
    send(marketer, email, django_capture_on_commit_callbacks)
    Send.objects.update(state="queued")
    email.refresh_from_db()
    type(email).objects.filter(pk=email.pk).update(status="sending")

    # When delivery runs again
    send_services.email_deliver(email_id=email.pk)

    # Then the messages went out again, with the same subjects, but nobody is exposed twice
    subjects = [m.message["Subject"] for m in sink.messages]
    assert len(subjects) == 4
    assert sorted(subjects[:2]) == sorted(subjects[2:])
    assert Exposure.objects.count() == 2
    assert Touchpoint.objects.filter(kind=TouchpointKind.EXPERIMENT_EXPOSURE).count() == 2
    assert all(re.search(r"Ann[12]", s) for s in subjects)
