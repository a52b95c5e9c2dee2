"""The demo's audiences and email: sender settings, topics, segments, templates, three monthly
newsletters already sent, a scheduled and a draft email, a running nurture sequence, the
suppression list, and a few messages in the outbox so that emails can be read without SMTP.

The newsletters agree with the history planned in plan.py: a recipient's send counts as opened
or clicked when that contact has a newsletter open or click touchpoint in the month after the
send, so the email reports, the timeline and the attribution reports tell one story.
"""

import random
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Min

from revline.core.models import User
from revline.core.workspace import workspace_get
from revline.email.backends import OutboxBackend
from revline.email.delivery_services import suppression_add, topic_create
from revline.email.models import (
    DeliveryEvent,
    DeliveryEventKind,
    Email,
    EmailLink,
    EmailStatus,
    Enrollment,
    EnrollmentState,
    Send,
    SendClick,
    SendState,
    SequenceStatus,
    SequenceTrigger,
    StepKind,
    SuppressionReason,
)
from revline.email.send_services import email_create, message_id_for, send_messages_build
from revline.email.sequence_services import sequence_create, sequence_step_add
from revline.email.template_services import email_settings_update, template_create
from revline.people.models import ConsentRecord, ConsentStatus, Contact
from revline.segments.services import segment_create
from revline.tracking.models import Touchpoint, TouchpointKind

from . import catalog
from .setup import Setup

SENDER_NAME = "Northbeam"
SENDER_ADDRESS = f"hello@{catalog.VENDOR_DOMAIN}"
POSTAL_ADDRESS = "Northbeam GmbH\nTorstraße 109\n10119 Berlin\nGermany"
NEWSLETTER_MONTHS = 3
ARTICLE_URL = "https://blog.northbeam.example/"
OUTBOX_MESSAGES = 12

NEWSLETTER_BLOCKS = [
    {"type": "heading", "text": 'Hi {{ contact.first_name|default:"there" }},'},
    {
        "type": "text",
        "text": "This month: **pipeline coverage** that your board will believe, and the three "
        "reports our customers open every Monday.\n\nRead the full article on our blog.",
    },
    {"type": "button", "label": "Read the article", "url": ARTICLE_URL},
    {"type": "divider"},
    {
        "type": "text",
        "text": "Questions? Just reply to this email: it reaches a real person on our team.",
    },
]
WEBINAR_BLOCKS = [
    {"type": "heading", "text": "Forecasting without the guesswork"},
    {
        "type": "text",
        "text": 'Join {{ contact.owner.first_name|default:"our team" }} and two customers for '
        "a 40-minute live session on forecast accuracy.",
    },
    {"type": "button", "label": "Save my seat", "url": "https://www.northbeam.example/webinar"},
]
WELCOME_BLOCKS = [
    {"type": "heading", "text": 'Welcome, {{ contact.first_name|default:"there" }}!'},
    {
        "type": "text",
        "text": "Thanks for downloading the Pipeline Playbook. Over the next two weeks we will "
        "send you the three chapters our readers found most useful.",
    },
    {"type": "button", "label": "Open the playbook", "url": "https://www.northbeam.example/ebook"},
]
CASE_STUDY_BLOCKS = [
    {"type": "heading", "text": "How Fjordline cut forecast misses by half"},
    {
        "type": "text",
        "text": "A 4-minute read on the weekly pipeline review that changed their quarter.",
    },
    {
        "type": "button",
        "label": "Read the case study",
        "url": "https://www.northbeam.example/customers/fjordline",
    },
]


def _consented_at(when: datetime) -> set[int]:
    """Contacts whose newest marketing-email consent at `when` was granted."""
    newest: dict[int, tuple[datetime, str]] = {}
    for contact_id, recorded_at, status in ConsentRecord.objects.filter(
        purpose="marketing_email", recorded_at__lte=when
    ).values_list("contact_id", "recorded_at", "status"):
        if contact_id not in newest or recorded_at >= newest[contact_id][0]:
            newest[contact_id] = (recorded_at, status)
    return {c for c, (_, status) in newest.items() if status == ConsentStatus.GRANTED}


def _touches(kind: str, campaign_id: int, start: datetime, end: datetime) -> dict[int, list]:
    found: dict[int, list[datetime]] = defaultdict(list)
    for contact_id, at in Touchpoint.objects.filter(
        kind=kind, campaign_id=campaign_id, occurred_at__gte=start, occurred_at__lt=end,
        contact__isnull=False,
    ).values_list("contact_id", "occurred_at"):  # fmt: skip
        found[contact_id].append(at)
    return found


def _sent_email(
    *, name: str, template: object, campaign: object, segment: object, topic: object,
    sent_at: datetime, recipients: Iterable[Contact], actor: User, rng: random.Random,
    unsubscribe_rate: float,
) -> list[Send]:  # fmt: skip
    """A newsletter sent at `sent_at`: its sends shaped as the sending engine leaves them."""
    email = email_create(
        actor=actor, name=name, template=template, campaign=campaign, segment=segment,
        topic=topic,
    )  # fmt: skip
    Email.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, started_at=sent_at, finished_at=sent_at + timedelta(minutes=4)
    )
    window_end = sent_at + timedelta(days=30)
    opens = _touches(TouchpointKind.EMAIL_OPEN, email.campaign_id or 0, sent_at, window_end)
    clicks = _touches(TouchpointKind.EMAIL_CLICK, email.campaign_id or 0, sent_at, window_end)
    sends = []
    for contact in recipients:
        opened = sorted(opens.get(contact.pk, []))
        clicked = sorted(clicks.get(contact.pk, []))
        send = Send(
            email=email, contact=contact, to_address=contact.email.lower(),
            state=SendState.SENT, message_id=message_id_for(
                email_id=email.pk, contact_id=contact.pk, domain=catalog.VENDOR_DOMAIN
            ),
            token=secrets.token_urlsafe(24), queued_at=sent_at, claimed_at=sent_at,
            sent_at=sent_at + timedelta(seconds=rng.uniform(1, 240)),
            first_opened_at=opened[0] if opened else None, open_count=len(opened),
            first_clicked_at=clicked[0] if clicked else None, click_count=len(clicked),
        )  # fmt: skip
        roll = rng.random()
        if not opened and roll < 0.006:
            send.state, send.bounced_at = SendState.BOUNCED, send.sent_at
        elif opened and roll < unsubscribe_rate:
            send.unsubscribed_at = opened[0] + timedelta(minutes=rng.uniform(1, 30))
        sends.append(send)
    created = Send.objects.bulk_create(sends, batch_size=500)
    article = EmailLink.objects.create(email=email, url=ARTICLE_URL, position=0)
    SendClick.objects.bulk_create(
        [
            SendClick(send=send, link=article, clicked_at=at)
            for send in created
            for at in clicks.get(send.contact_id, [])
        ],
        batch_size=500,
    )
    return created


def _suppress(sends: Iterable[Send]) -> int:
    count = 0
    for send in sends:
        if send.state == SendState.BOUNCED:
            DeliveryEvent.objects.create(
                kind=DeliveryEventKind.HARD_BOUNCE, send=send, address=send.to_address,
                source="dsn", external_id=f"demo-bounce-{send.message_id}",
                detail=f"550 5.1.1 <{send.to_address}>: Recipient address rejected: User unknown",
                occurred_at=send.sent_at or send.queued_at,
            )  # fmt: skip
            suppression_add(
                address=send.to_address, reason=SuppressionReason.HARD_BOUNCE,
                source="Bounce report", send=send,
            )  # fmt: skip
            count += 1
        elif send.unsubscribed_at is not None:
            suppression_add(
                address=send.to_address, reason=SuppressionReason.UNSUBSCRIBED,
                source=f"One-click unsubscribe from “{send.email.name}”", send=send,
            )  # fmt: skip
            ConsentRecord.objects.create(
                contact=send.contact, purpose="marketing_email", status=ConsentStatus.WITHDRAWN,
                recorded_at=send.unsubscribed_at,
                source=f"Unsubscribed (one-click) from “{send.email.name}”",
            )  # fmt: skip
            count += 1
    return count


def _outbox(sends: list[Send]) -> int:
    """Build the first messages of the newest newsletter exactly as delivery does, and keep them
    in the outbox (never sent anywhere, whatever mail backend is configured)."""
    if not sends:
        return 0
    backend = OutboxBackend()
    chosen = list(
        Send.objects.filter(pk__in=[s.pk for s in sends[:OUTBOX_MESSAGES]])
        .select_related("email", "contact__company", "contact__owner")
        .order_by("pk")
    )
    messages = send_messages_build(email=chosen[0].email, sends=chosen, connection=backend)
    return backend.send_messages(messages)


def write_audiences(setup: Setup, seed: int) -> dict[str, int]:
    rng = random.Random(seed + 2)
    admin, maya, jonas = setup.users["admin"], setup.users["maya"], setup.users["jonas"]
    end = setup.end
    workspace = workspace_get()
    workspace.name = SENDER_NAME
    workspace.save(update_fields=["name"])
    email_settings_update(
        actor=admin, from_name=SENDER_NAME, from_address=SENDER_ADDRESS,
        postal_address=POSTAL_ADDRESS,
    )  # fmt: skip
    product_news = topic_create(actor=maya, name="Product news", description="What's new")
    topic_create(actor=maya, name="Events & webinars", description="Invitations, recordings")
    topic_create(actor=maya, name="Customer stories", description="Case studies and interviews")

    newsletter = setup.campaigns["newsletter"]
    segments = {
        "subscribers": segment_create(
            actor=None, name="Newsletter subscribers",
            description="Everyone who agreed to marketing email.",
            definition={"match": "all", "conditions": [
                {"type": "consent", "purpose": "marketing_email"},
                {"type": "field", "field": "email", "op": "not_empty"},
            ]},
        ),
        "demo_page": segment_create(
            actor=None,
            name="Demo page, 2+ visits in 90 days",
            description="Visited the demo-booking page at least twice: ready for a sales call.",
            definition={
                "match": "all",
                "conditions": [
                    {
                        "type": "page_visits",
                        "url_contains": "/lp/book-a-demo",
                        "min_count": 2,
                        "days": 90,
                    },
                ],
            },
        ),
        "engaged_mqls": segment_create(
            actor=None, name="Engaged MQLs",
            description="MQLs who opened an email in the last 90 days.",
            definition={"match": "all", "conditions": [
                {"type": "field", "field": "lifecycle_stage", "op": "eq", "value": "mql"},
                {"type": "email_opened", "days": 90},
            ]},
        ),
        "dormant": segment_create(
            actor=None, name="Dormant subscribers",
            description="Subscribed, but no email opened in 90 days: a re-engagement audience.",
            definition={"match": "all", "conditions": [
                {"type": "consent", "purpose": "marketing_email"},
                {"type": "email_opened", "days": 90, "negate": True},
            ]},
        ),
        "fresh_leads": segment_create(
            actor=None, name="New leads this month",
            description="Leads created in the last 30 days: the nurture sequence's audience.",
            definition={"match": "all", "conditions": [
                {"type": "field", "field": "lifecycle_stage", "op": "eq", "value": "lead"},
                {"type": "field", "field": "created_at", "op": "within_last_days", "value": 30},
            ]},
        ),
    }  # fmt: skip

    templates = {
        "newsletter": template_create(
            actor=jonas, name="Monthly newsletter", subject="Northbeam monthly: pipeline notes and product news",
            preheader="One practical article and what's new in the product.",
            blocks=NEWSLETTER_BLOCKS,
        ),
        "webinar": template_create(
            actor=maya, name="Webinar invitation", subject="Live: forecasting without the guesswork",
            preheader="40 minutes, two customers, your questions.", blocks=WEBINAR_BLOCKS,
        ),
        "welcome": template_create(
            actor=maya, name="Welcome: e-book", subject="Your Pipeline Playbook is here",
            blocks=WELCOME_BLOCKS,
        ),
        "case_study": template_create(
            actor=maya, name="Case study: Fjordline", subject="How Fjordline cut forecast misses by half",
            blocks=CASE_STUDY_BLOCKS,
        ),
    }  # fmt: skip

    contacts = {c.pk: c for c in Contact.objects.exclude(email="")}
    all_sends: list[Send] = []
    newest: list[Send] = []
    for months_ago in range(NEWSLETTER_MONTHS, 0, -1):
        sent_at = (end - timedelta(days=30 * months_ago)).replace(hour=9)
        consented = _consented_at(sent_at)
        recipients = [
            contacts[pk] for pk in sorted(consented)
            if pk in contacts and contacts[pk].created_at <= sent_at
        ]  # fmt: skip
        sends = _sent_email(
            name=f"Newsletter – {sent_at:%B %Y}", template=templates["newsletter"],
            campaign=newsletter, segment=segments["subscribers"], topic=product_news,
            sent_at=sent_at, recipients=recipients, actor=jonas, rng=rng,
            unsubscribe_rate=0.01,
        )  # fmt: skip
        all_sends.extend(sends)
        newest = sends
    suppressed = _suppress(all_sends)

    scheduled = email_create(
        actor=maya, name="Webinar invitation – forecasting", template=templates["webinar"],
        campaign=newsletter, segment=segments["engaged_mqls"],
    )  # fmt: skip
    Email.objects.filter(pk=scheduled.pk).update(
        status=EmailStatus.SCHEDULED, scheduled_at=end + timedelta(days=6, hours=10)
    )
    email_create(
        actor=maya, name="Re-engagement: still interested?", template=templates["newsletter"],
        segment=segments["dormant"],
    )  # fmt: skip

    nurture = sequence_create(
        actor=maya, name="E-book nurture", trigger=SequenceTrigger.JOINED_SEGMENT,
        trigger_config={"segment_id": segments["fresh_leads"].pk},
        description="Welcome new leads, send a case study, then hand engaged ones to sales.",
        status=SequenceStatus.ACTIVE,
    )  # fmt: skip
    sequence_step_add(
        actor=maya, sequence=nurture, kind=StepKind.SEND_EMAIL, config={},
        new_email_template_id=templates["welcome"].pk, new_email_name="Nurture 1: welcome",
    )  # fmt: skip
    sequence_step_add(actor=maya, sequence=nurture, kind=StepKind.WAIT, config={"days": 3})
    sequence_step_add(
        actor=maya, sequence=nurture, kind=StepKind.SEND_EMAIL, config={},
        new_email_template_id=templates["case_study"].pk, new_email_name="Nurture 2: case study",
    )  # fmt: skip
    sequence_step_add(actor=maya, sequence=nurture, kind=StepKind.WAIT, config={"days": 4})
    sequence_step_add(
        actor=maya, sequence=nurture, kind=StepKind.CHANGE_LIFECYCLE, config={"stage": "mql"}
    )
    sequence_step_add(
        actor=maya, sequence=nurture, kind=StepKind.NOTIFY_OWNER,
        config={"message": "A lead finished the e-book nurture: time for a call."},
    )  # fmt: skip
    leads = list(
        Contact.objects.filter(lifecycle_stage="lead", created_at__gte=end - timedelta(days=30))
        .exclude(email="")
        .order_by("created_at", "pk")[:60]
    )
    enrollments = []
    for contact in leads:
        entered = max(contact.created_at, end - timedelta(days=9)) + timedelta(hours=1)
        # Waiting at step 2 (after the welcome) or step 4 (after the case study).
        position = rng.choice((1, 1, 3))
        enrollments.append(
            Enrollment(
                sequence=nurture,
                contact=contact,
                position=position,
                state=EnrollmentState.ACTIVE,
                entered_at=entered,
                next_run_at=end + timedelta(hours=rng.uniform(6, 96)),
            )
        )
    Enrollment.objects.bulk_create(enrollments)

    outbox = _outbox(newest)
    first_open = Send.objects.aggregate(first=Min("first_opened_at"))["first"]
    assert first_open is None or first_open >= end - timedelta(days=30 * NEWSLETTER_MONTHS)
    return {
        "segments": len(segments),
        "email templates": len(templates),
        "sends": len(all_sends),
        "suppressed": suppressed,
        "enrolled": len(enrollments),
        "outbox messages": outbox,
    }
