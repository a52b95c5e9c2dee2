"""Sending a campaign email to a segment through a real SMTP server (aiosmtpd), and what arrived."""

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from revline.campaigns.models import Campaign
from revline.core.workspace import workspace_get
from revline.email import send_services as services
from revline.email.models import (
    Email,
    EmailLink,
    EmailStatus,
    EmailTemplate,
    Send,
    SendState,
    Suppression,
    SuppressionReason,
    Topic,
    TopicOptOut,
)
from revline.email.send_services import (
    SKIP_NO_ADDRESS,
    SKIP_NO_CONSENT,
    SKIP_SUPPRESSED,
    SKIP_TOPIC,
    delivery_plan,
    pause_after,
)
from revline.people.models import Contact
from revline.people.services import consent_record
from revline.segments.models import Segment
from tests.smtp import smtp_sink, use_smtp_sink

BLOCKS = [
    {"type": "heading", "text": 'Hello {{ contact.first_name|default:"there" }}'},
    {"type": "text", "text": "Read [our news](https://www.example.com/news?a=1&b=2) today."},
    {"type": "button", "label": "Book a demo", "url": "https://www.example.com/demo"},
    {"type": "text", "text": "Write to [us](mailto:hello@example.com)."},
]


def make_workspace() -> None:
    workspace = workspace_get()
    workspace.name = "Acme"
    workspace.email_from_name = "Acme Marketing"
    workspace.email_from_address = "news@acme.example"
    workspace.postal_address = "Acme GmbH\nMain Street 1\n10115 Berlin"
    workspace.save()


def make_contact(n: int, *, consent: bool = True, email: str | None = None) -> Contact:
    contact = Contact.objects.create(
        first_name=f"Ann{n}",
        last_name="Lee",
        email=f"ann{n}@example.com" if email is None else email,
    )
    if consent:
        consent_record(contact=contact, purpose="marketing_email", granted=True, source="test")
    return contact


def make_email(marketer, *, blocks=BLOCKS, subject="Hi {{ contact.first_name }}", **extra) -> Email:
    make_workspace()
    template = EmailTemplate.objects.create(name="News", subject=subject, blocks=blocks)
    segment = Segment.objects.create(name="Everyone", definition={"match": "all", "conditions": []})
    return services.email_create(
        actor=marketer, name="Spring news", template=template, segment=segment,
        rate_per_minute=0, **extra,
    )  # fmt: skip


def parts(message: EmailMessage) -> tuple[str, str]:
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    assert html is not None and text is not None
    return str(html.get_content()), str(text.get_content()).replace("\r\n", "\n")


@pytest.fixture
def sink(settings):
    with smtp_sink() as server:
        use_smtp_sink(settings, server)
        yield server


def test_send_now_delivers_one_personalised_tracked_message_per_consenting_contact(
    db, marketer, sink, settings, django_capture_on_commit_callbacks
):
    # Given two consenting contacts, one without consent, one suppressed, one without address
    settings.BASE_URL = "https://crm.acme.example"
    ann = make_contact(1)
    make_contact(2)
    make_contact(3, consent=False)
    suppressed = make_contact(4)
    Suppression.objects.create(address="ann4@example.com", reason=SuppressionReason.HARD_BOUNCE)
    make_contact(5, email="")
    campaign = Campaign.objects.create(name="Spring", channel="email")
    email = make_email(marketer, campaign=campaign, reply_to="replies@acme.example")

    # When it is sent now (the delivery task runs after the commit)
    with django_capture_on_commit_callbacks(execute=True):
        services.email_send_now(actor=marketer, email=email)

    # Then exactly the two consenting contacts received it
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["ann1@example.com", "ann2@example.com"]
    states = dict(Send.objects.values_list("contact__email", "state"))
    assert states == {
        "ann1@example.com": SendState.SENT,
        "ann2@example.com": SendState.SENT,
        "ann3@example.com": SendState.SKIPPED,
        "ann4@example.com": SendState.SKIPPED,
        "": SendState.SKIPPED,
    }
    reasons = dict(Send.objects.filter(state=SendState.SKIPPED).values_list("to_address", "reason"))
    assert reasons == {"ann3@example.com": SKIP_NO_CONSENT, "ann4@example.com": SKIP_SUPPRESSED,
                       "": SKIP_NO_ADDRESS}  # fmt: skip
    assert suppressed.sends.get().sent_at is None

    # And the message carries the deterministic Message-ID and one-click unsubscribe headers
    send = Send.objects.get(contact=ann)
    received = next(m for m in sink.messages if m.rcpt_tos == ["ann1@example.com"])
    message = received.message
    assert message["Message-ID"] == send.message_id
    assert re.fullmatch(rf"<e{email.pk}\.c{ann.pk}\.[0-9a-f]{{16}}@acme\.example>", send.message_id)
    assert message["List-Unsubscribe"] == f"<https://crm.acme.example/e/u/{send.token}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"] == "Hi Ann1"
    assert message["From"] == "Acme Marketing <news@acme.example>"
    assert message["Reply-To"] == "replies@acme.example"
    assert received.mail_from == "news@acme.example"

    # And both parts are personalised, links are tracked, mailto is left alone, a pixel is added
    html, text = parts(message)
    links = dict(EmailLink.objects.filter(email=email).values_list("url", "pk"))
    assert set(links) == {"https://www.example.com/news?a=1&b=2", "https://www.example.com/demo"}
    news = (
        f"https://crm.acme.example/e/c/{send.token}/{links['https://www.example.com/news?a=1&b=2']}"
    )
    demo = f"https://crm.acme.example/e/c/{send.token}/{links['https://www.example.com/demo']}"
    assert "Hello Ann1" in html and "Hello Ann1" in text
    assert f'href="{news}"' in html and f'href="{demo}"' in html
    assert "www.example.com/news" not in html and "www.example.com/news" not in text
    assert f"our news ({news})" in text
    assert f"Book a demo ({demo})" in text
    assert 'href="mailto:hello@example.com"' in html
    assert f'<img src="https://crm.acme.example/e/o/{send.token}.gif"' in html
    assert f"https://crm.acme.example/e/u/{send.token}" in html
    assert f"Unsubscribe (https://crm.acme.example/e/u/{send.token})" in text
    assert "Main Street 1" in text and "Main Street 1" in html


def test_the_fast_text_part_matches_the_reference_renderer(db):
    # Given the email content and a contact context
    from revline.email.rendering import Footer, render_email
    from revline.email.send_render import PreparedEmail

    make_workspace()
    template = EmailTemplate(subject="Hi {{ contact.first_name }}", blocks=BLOCKS)
    context = {"contact": {"first_name": "Zoë & <Co>"}, "workspace": {"name": "Acme"}}
    footer = Footer("Main Street 1\nBerlin", "https://x.example/e/u/T", "https://x.example/e/p/T")
    # When rendered by the campaign path and by render_email
    prepared = PreparedEmail.prepare(template)
    assert prepared.text_src is not None  # the shared text template, not the fallback
    fast = prepared.render(context, footer)
    reference = render_email(content=template, context=context, footer=footer)
    # Then subject and HTML are identical and the text says the same, word for word
    assert fast.subject == reference.subject == "Hi Zoë & <Co>"
    assert fast.html == reference.html
    assert fast.text.split() == reference.text.split()


def test_a_contact_whose_render_fails_fails_only_that_send(db, marketer, sink, settings):
    # Given a template that fails for contacts whose first name is not a date
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    blocks = [{"type": "text", "text": "{{ contact.first_name|date:'Y' }} {{ contact.email }}"}]
    make_contact(1)
    broken = make_contact(2)
    email = make_email(marketer, blocks=blocks, subject="News")
    services.email_send_now(actor=marketer, email=email)
    # The sandbox renders odd values as empty; force a failure for one contact by a bad filter arg
    from revline.email import send_render

    original = send_render.PreparedEmail.render

    def render(self, context, footer):
        if context["contact"]["email"] == broken.email:
            raise send_render.RenderError("The template failed to render: bad date")
        return original(self, context, footer)

    send_render.PreparedEmail.render = render  # a render error for one contact only
    try:
        stats = services.email_deliver(email_id=email.pk)
    finally:
        send_render.PreparedEmail.render = original
    # Then the other contact got the message and the campaign finished
    assert (stats.sent, stats.failed) == (1, 1)
    assert [m.rcpt_tos for m in sink.messages] == [["ann1@example.com"]]
    failed = Send.objects.get(contact=broken)
    assert failed.state == SendState.FAILED
    assert failed.reason == "Template error: The template failed to render: bad date"
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT


def test_topic_opt_out_skips_the_contact(db, marketer, sink, django_capture_on_commit_callbacks):
    topic = Topic.objects.create(name="Events")
    make_contact(1)
    left = make_contact(2)
    TopicOptOut.objects.create(contact=left, topic=topic)
    email = make_email(marketer, topic=topic)
    with django_capture_on_commit_callbacks(execute=True):
        services.email_send_now(actor=marketer, email=email)
    assert [m.rcpt_tos for m in sink.messages] == [["ann1@example.com"]]
    assert Send.objects.get(contact=left).reason == SKIP_TOPIC


def test_newest_consent_record_decides(db, marketer, sink, django_capture_on_commit_callbacks):
    # Given a contact who granted, then withdrew consent
    contact = make_contact(1)
    consent_record(contact=contact, purpose="marketing_email", granted=False, source="form",
                   recorded_at=timezone.now() + timedelta(seconds=1))  # fmt: skip
    email = make_email(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        services.email_send_now(actor=marketer, email=email)
    # Then nothing was sent
    assert sink.messages == []
    assert Send.objects.get().reason == SKIP_NO_CONSENT


def test_starting_twice_creates_no_second_send(db, marketer, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_contact(1)
    email = make_email(marketer)
    services.email_send_now(actor=marketer, email=email)
    first = list(Send.objects.values_list("pk", "token", "message_id"))
    # When the sends are created again (a restart in the middle of starting)
    inserted = services.sends_create(email=email, now=timezone.now())
    assert inserted == 1  # offered, ignored by the unique constraint
    assert list(Send.objects.values_list("pk", "token", "message_id")) == first
    # And a second start of a sending email changes nothing
    services.email_start(email=email)
    assert Send.objects.count() == 1


def test_schedule_requires_a_future_aware_time_and_changes_nothing_otherwise(db, marketer):
    email = make_email(marketer)
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.email_schedule(actor=marketer, email=email, at=now - timedelta(minutes=1), now=now)
    assert error.value.message_dict == {"scheduled_at": ["Choose a time in the future."]}
    with pytest.raises(ValidationError):
        services.email_schedule(
            actor=marketer, email=email, at=(now + timedelta(hours=1)).replace(tzinfo=None)
        )
    email.refresh_from_db()
    assert (email.status, email.scheduled_at) == (EmailStatus.DRAFT, None)


def test_a_scheduled_email_starts_when_due_and_not_before(
    db, marketer, sink, django_capture_on_commit_callbacks
):
    # Given an email scheduled in one hour
    make_contact(1)
    email = make_email(marketer)
    now = timezone.now()
    at = now + timedelta(hours=1)
    services.email_schedule(actor=marketer, email=email, at=at, now=now)
    # When the scheduler runs before that time, nothing happens
    with django_capture_on_commit_callbacks(execute=True):
        services.emails_start_due(now=at - timedelta(seconds=1))
    email.refresh_from_db()
    assert email.status == EmailStatus.SCHEDULED
    assert Send.objects.count() == 0
    # When it runs at that time, the email goes out
    with django_capture_on_commit_callbacks(execute=True):
        services.emails_start_due(now=at)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(sink.messages) == 1


def test_cancel_returns_a_scheduled_email_to_draft(db, marketer):
    email = make_email(marketer)
    now = timezone.now()
    services.email_schedule(actor=marketer, email=email, at=now + timedelta(days=1), now=now)
    services.email_cancel(actor=marketer, email=email)
    assert (email.status, email.scheduled_at) == (EmailStatus.DRAFT, None)
    with pytest.raises(ValidationError):
        services.email_cancel(actor=marketer, email=email)


def test_stale_in_flight_sends_are_requeued_and_delivered(
    db, marketer, sink, settings, django_capture_on_commit_callbacks
):
    # Given a sending email whose worker died with one send claimed
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_contact(1), make_contact(2)
    email = make_email(marketer)
    services.email_send_now(actor=marketer, email=email)
    claimed_at = timezone.now() - timedelta(minutes=10)
    first = Send.objects.order_by("pk").first()
    Send.objects.filter(pk=first.pk).update(state=SendState.SENDING, claimed_at=claimed_at)
    Email.objects.filter(pk=email.pk).update(updated_at=claimed_at)
    # When the scheduler runs, the claim is recovered and delivery restarts
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        services.emails_start_due()
    # Then both contacts got the message once
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == ["ann1@example.com", "ann2@example.com"]
    assert set(Send.objects.values_list("state", flat=True)) == {SendState.SENT}


def test_a_live_delivery_is_not_recovered(db, marketer, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_contact(1)
    email = make_email(marketer)
    services.email_send_now(actor=marketer, email=email)
    Send.objects.update(state=SendState.SENDING, claimed_at=timezone.now())
    assert services.sends_recover(now=timezone.now()) == []
    assert Send.objects.get().state == SendState.SENDING


def test_refused_recipient_fails_with_the_server_reply(db, marketer, settings):
    # Given a mail server that refuses one address
    from tests.smtp import SmtpSink

    class Picky(SmtpSink):
        async def handle_RCPT(self, server, session, envelope, address, options):
            if address.startswith("ann2"):
                return "550 5.1.1 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    from aiosmtpd.controller import Controller

    from tests.smtp import _free_port

    picky = Picky(port=_free_port("127.0.0.1"))
    controller = Controller(picky, hostname="127.0.0.1", port=picky.port)
    controller.start()
    try:
        use_smtp_sink(settings, picky)
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
        make_contact(1), make_contact(2), make_contact(3)
        email = make_email(marketer)
        services.email_send_now(actor=marketer, email=email)
        stats = services.email_deliver(email_id=email.pk)
    finally:
        controller.stop()
    assert (stats.sent, stats.failed) == (2, 1)
    failed = Send.objects.get(state=SendState.FAILED)
    assert failed.to_address == "ann2@example.com"
    assert failed.reason == "Refused by the mail server: 550 5.1.1 No such user"
    assert sorted(m.rcpt_tos[0] for m in picky.messages) == ["ann1@example.com", "ann3@example.com"]


def test_other_backends_get_an_ordinary_django_message(
    db, marketer, django_capture_on_commit_callbacks
):
    # Given the locmem backend (pytest-django's default)
    make_contact(1)
    email = make_email(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        services.email_send_now(actor=marketer, email=email)
    [message] = mail.outbox
    send = Send.objects.get()
    assert message.extra_headers["Message-ID"] == send.message_id
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.to == ["ann1@example.com"]
    assert message.alternatives[0].mimetype == "text/html"


def test_send_test_renders_for_a_contact_untracked(db, marketer, sink):
    contact = make_contact(7)
    email = make_email(marketer)
    services.email_send_test(actor=marketer, email=email, to="me@acme.example", contact=contact)
    [received] = sink.messages
    assert received.message["Subject"] == "[Test] Hi Ann7"
    html, _ = parts(received.message)
    assert "/e/o/" not in html and "https://www.example.com/demo" in html
    assert Send.objects.count() == 0


def test_sales_reps_cannot_send(db, marketer, rep_a):
    from django.core.exceptions import PermissionDenied

    email = make_email(marketer)
    with pytest.raises(PermissionDenied):
        services.email_send_now(actor=rep_a, email=email)
    email.refresh_from_db()
    assert email.status == EmailStatus.DRAFT


def test_rate_limit_plan_paces_chunks():
    # No limit: full chunks, no pause
    assert delivery_plan(total=95, rate_per_minute=0) == services.DeliveryPlan(10, 10, 0.0)
    # 600 a minute = 10 a second: chunks of 10, one a second
    assert delivery_plan(total=95, rate_per_minute=600) == services.DeliveryPlan(10, 10, 1.0)
    # 120 a minute: chunks of 2, every second
    assert delivery_plan(total=5, rate_per_minute=120) == services.DeliveryPlan(2, 3, 1.0)
    # 30 a minute: one message every two seconds
    assert delivery_plan(total=3, rate_per_minute=30) == services.DeliveryPlan(1, 3, 2.0)
    plan = delivery_plan(total=10, rate_per_minute=600)
    assert pause_after(plan, elapsed=0.25) == 0.75
    assert pause_after(plan, elapsed=3.0) == 0.0


def test_delivery_sleeps_between_chunks_to_keep_the_rate(db, marketer, sink, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    for n in range(5):
        make_contact(n)
    email = make_email(marketer)
    email.rate_per_minute = 120
    email.save()
    services.email_send_now(actor=marketer, email=email)
    pauses: list[float] = []
    stats = services.email_deliver(email_id=email.pk, sleep=pauses.append)
    # 5 messages at 2 a second: 3 chunks (2, 2, 1), each followed by a pause of up to a second
    assert (stats.sent, stats.chunks, len(pauses)) == (5, 3, 3)
    assert all(0 < p <= 1.0 for p in pauses)
    assert len(sink.messages) == 5
