"""Sending a survey to a segment by email: consent respected, one message per invite, never twice,
through Django's real SMTP backend (an aiosmtpd server)."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.core.workspace import workspace_get
from revline.email.models import Suppression, SuppressionReason
from revline.segments.models import Segment
from revline.surveys import services
from revline.surveys.models import SurveyInvite
from revline.surveys.services import invites_send
from tests.smtp import smtp_sink, use_smtp_sink

from .conftest import make_contact, make_nps_survey

EVERYONE = {"match": "all", "conditions": []}


@pytest.fixture
def sink(settings):
    with smtp_sink() as server:
        use_smtp_sink(settings, server)
        yield server


def distribute(actor, survey, segment, capture):
    with capture(execute=True):
        return services.survey_distribute(
            actor=actor, survey=survey, segment=segment,
            subject="Quick question from {workspace}", message="Tell us <how> we do.",
        )  # fmt: skip


def test_each_consenting_contact_gets_one_email_with_their_personal_link(
    db, marketer, sink, settings, django_capture_on_commit_callbacks
):
    # Given a segment of five contacts: two may get marketing email, the others may not
    settings.BASE_URL = "https://crm.acme.example"
    workspace = workspace_get()
    workspace.name, workspace.email_from_address = "Acme", "hello@acme.example"
    workspace.postal_address = "Main Street 1, Berlin"
    workspace.save()
    ann, bob = make_contact(1), make_contact(2)
    make_contact(3, consent=False)
    make_contact(4)
    Suppression.objects.create(address="ann4@example.com", reason=SuppressionReason.UNSUBSCRIBED)
    make_contact(5, email="")
    survey = make_nps_survey(marketer)
    segment = Segment.objects.create(name="Customers", definition=EVERYONE)

    # When the survey is sent to the segment
    result = distribute(marketer, survey, segment, django_capture_on_commit_callbacks)

    # Then two invites were made and emailed, the rest skipped with their reason
    assert result.invited == 2
    assert result.skipped == {
        "no consent to marketing email": 1, "on the suppression list": 1, "no email address": 1,
    }  # fmt: skip
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["ann1@example.com", "ann2@example.com"]
    invites = {i.contact_id: i for i in SurveyInvite.objects.all()}
    assert set(invites) == {ann.pk, bob.pk}
    assert all(i.sent_at is not None for i in invites.values())
    message = next(m for m in sink.messages if m.rcpt_tos == ["ann1@example.com"])
    assert message.message["Subject"] == "Quick question from Acme"
    assert message.message["From"] == "Acme <hello@acme.example>"
    text = message.text
    link = f"https://crm.acme.example/s/nps/{invites[ann.pk].token}/"
    assert link in text
    assert "Tell us <how> we do." in text
    html = message.message.get_body(preferencelist=("html",)).get_content()
    assert "Tell us &lt;how&gt; we do." in html
    assert len(re.findall(re.escape(link), html)) == 2  # the button and the plain address
    distribution = result.distribution
    distribution.refresh_from_db()
    assert (distribution.invited, distribution.skipped, distribution.segment_name) == (
        2,
        3,
        "Customers",
    )


def test_sending_again_never_emails_an_invited_contact_twice(
    db, marketer, sink, django_capture_on_commit_callbacks
):
    make_contact(1)
    survey = make_nps_survey(marketer)
    segment = Segment.objects.create(name="All", definition=EVERYONE)
    distribute(marketer, survey, segment, django_capture_on_commit_callbacks)
    make_contact(2)

    # When it is sent to the same segment again, and the first task is run again
    again = distribute(marketer, survey, segment, django_capture_on_commit_callbacks)
    first = SurveyInvite.objects.get(contact__first_name="Ann1").distribution_id
    assert invites_send(distribution_id=first) == 0

    # Then only the new contact got a message: two in all
    assert (again.invited, again.already) == (1, 1)
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["ann1@example.com", "ann2@example.com"]
    assert SurveyInvite.objects.count() == 2


def test_distribution_needs_an_open_survey_a_marketer_and_a_message(
    db, marketer, rep_a, django_capture_on_commit_callbacks, mailoutbox
):
    make_contact(1)
    segment = Segment.objects.create(name="All", definition=EVERYONE)
    draft = make_nps_survey(marketer, publish=False)
    with pytest.raises(ValidationError, match="Publish the survey"):
        distribute(marketer, draft, segment, django_capture_on_commit_callbacks)
    services.survey_publish(actor=marketer, survey=draft)
    with pytest.raises(PermissionDenied):
        distribute(rep_a, draft, segment, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as err:
        services.survey_distribute(
            actor=marketer, survey=draft, segment=segment, subject=" ", message=""
        )
    assert err.value.message_dict == {
        "subject": ["Write a subject line."], "message": ["Write a short message."],
    }  # fmt: skip
    assert (SurveyInvite.objects.count(), len(mailoutbox)) == (0, 0)
