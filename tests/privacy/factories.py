"""One contact with one record of every kind Revline keeps about a person."""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from revline.campaigns.models import Campaign
from revline.content.models import ContentItem, Form, FormSubmission
from revline.core.models import User
from revline.email.models import (
    DeliveryEvent,
    Email,
    EmailLink,
    EmailStatus,
    Enrollment,
    OutboxMessage,
    Send,
    SendClick,
    SendState,
    Sequence,
    Suppression,
    Topic,
    TopicOptOut,
)
from revline.experiments.models import Experiment, Exposure, Variant
from revline.feedback.models import FeedbackItem
from revline.leads.models import Handoff, LifecycleTransition, ScoreChange
from revline.people.models import Company, Contact, TimelineEvent
from revline.people.services import consent_record, tags_from_names
from revline.quotes.models import Order, Product, Quote, QuoteVersion
from revline.sales.models import (
    Activity,
    ContentShare,
    Deal,
    DealContact,
    DealStageChange,
    Meeting,
    Objection,
    ObjectionType,
)
from revline.sales.services import pipeline_default
from revline.surveys.models import Answer, Question, Response, Survey, SurveyInvite, SurveyVersion
from revline.tracking.models import Touchpoint, Visitor

EMAIL = "quilla.zebrowski@example.org"
FIRST, LAST = "Quilla", "Zebrowski"
NAME = f"{FIRST} {LAST}"


@dataclass
class Person:
    contact: Contact
    deal: Deal
    other_deal: Deal  # they are on it only through the buying committee
    company: Company


def make_person(owner: User) -> Person:
    now = timezone.now()
    company = Company.objects.create(name="Umbrella Labs")
    contact = Contact.objects.create(
        first_name=FIRST, last_name=LAST, email=EMAIL, company=company, title="CTO", source="test"
    )
    contact.tags.set(tags_from_names(["vip"]))
    other = Contact.objects.create(first_name="Bob", last_name="Other", email="bob@example.org")
    consent_record(contact=contact, purpose="marketing_email", granted=True, source="test form")
    TimelineEvent.objects.create(contact=contact, kind="note", occurred_at=now, params={})
    LifecycleTransition.objects.create(
        contact=contact, from_stage="subscriber", to_stage="lead", cause="form", occurred_at=now
    )
    campaign = Campaign.objects.create(name="Spring", channel="email")
    visitor = Visitor.objects.create(contact=contact, first_seen_at=now, last_seen_at=now)
    Touchpoint.objects.create(kind="page_view", occurred_at=now, visitor=visitor, campaign=campaign,
                              url=f"https://site.example/?email={EMAIL}")  # fmt: skip
    Touchpoint.objects.create(kind="click", occurred_at=now, contact=contact, campaign=campaign)
    form = Form.objects.create(name="Contact sales", embed_key="k-sales")
    FormSubmission.objects.create(
        form=form, contact=contact, visitor=visitor, submitted_at=now,
        data={"email": EMAIL, "first_name": FIRST, "last_name": LAST, "message": "Call me"},
    )  # fmt: skip
    email = Email.objects.create(name="News", subject="Spring news", status=EmailStatus.SENT)
    send = Send.objects.create(
        email=email, contact=contact, to_address=EMAIL, state=SendState.SENT,
        message_id="<m1@example.org>", token=secrets.token_urlsafe(12), queued_at=now, sent_at=now,
    )  # fmt: skip
    link = EmailLink.objects.create(email=email, url="https://site.example/a", position=0)
    SendClick.objects.create(send=send, link=link, clicked_at=now)
    DeliveryEvent.objects.create(kind="delivered", send=send, address=EMAIL, source="test",
                                 external_id="ev-1", occurred_at=now)  # fmt: skip
    OutboxMessage.objects.create(to=EMAIL, from_email="us@example.com", subject="Spring news",
                                 raw=f"To: {NAME} <{EMAIL}>\n\nHello {FIRST}")  # fmt: skip
    Suppression.objects.create(address="someone-else@example.org", reason="manual")
    topic = Topic.objects.create(name="Product news")
    TopicOptOut.objects.create(contact=contact, topic=topic)
    sequence = Sequence.objects.create(name="Nurture", trigger="form_submitted")
    Enrollment.objects.create(sequence=sequence, contact=contact, entered_at=now)
    ScoreChange.objects.create(contact=contact, kind="engagement", points=5, reason="opened",
                               occurred_at=now, score_after=5)  # fmt: skip
    Handoff.objects.create(contact=contact, qualified_at=now, qualified_by="form",
                           qualification_reason="Asked for a demo", due_at=now)  # fmt: skip
    pipeline = pipeline_default()
    stage = pipeline.stages.order_by("position").first()
    deal = Deal.objects.create(
        name=f"{company.name} – {NAME}", pipeline=pipeline, stage=stage, contact=contact,
        company=company, owner=owner, amount=Decimal("1000"), stage_changed_at=now,
        created_at=now, close_note=f"Champion is {NAME} ({EMAIL})",
    )  # fmt: skip
    other_deal = Deal.objects.create(
        name="Committee deal", pipeline=pipeline, stage=stage, contact=other, owner=owner,
        stage_changed_at=now, created_at=now,
    )  # fmt: skip
    DealContact.objects.create(deal=other_deal, contact=contact, role="champion")
    DealStageChange.objects.create(deal=deal, to_stage=stage, changed_at=now)
    objection_type = ObjectionType.objects.get_or_create(name="Price")[0]
    Objection.objects.create(deal=other_deal, objection_type=objection_type, stage=stage,
                             raised_at=now, buyer_words=f"{NAME} says it is too dear")  # fmt: skip
    Activity.objects.create(subject="Call", body="Discussed pricing", occurred_at=now,
                            contact=contact)  # fmt: skip
    Activity.objects.create(subject="Company note", occurred_at=now, company=company,
                            body=f"Met {NAME} at the fair; write to {EMAIL.upper()}")  # fmt: skip
    Meeting.objects.create(user=owner, contact=contact, starts_at=now, ends_at=now, notes="Demo")
    item = ContentItem.objects.create(title="Guide", kind="ebook")
    ContentShare.objects.create(contact=contact, content_item=item, token="share-1", sent_at=now)
    product = Product.objects.create(name="Widget", sku="W-1", price=Decimal("10"))
    Order.objects.create(product=product, contact=contact, unit_price=Decimal("10"),
                         total=Decimal("10"), currency="EUR", idempotency_key="o-1",
                         created_at=now)  # fmt: skip
    quote = Quote.objects.create(deal=deal, number="Q-1", title="Offer", created_at=now)
    QuoteVersion.objects.create(quote=quote, number=1, currency="EUR", created_at=now,
                                sent_at=now, status="sent")  # fmt: skip
    survey = Survey.objects.create(name="NPS", slug="nps")
    version = SurveyVersion.objects.create(survey=survey, number=1)
    question = Question.objects.create(version=version, key="q1", position=1, kind="text",
                                       label="Why?")  # fmt: skip
    invite = SurveyInvite.objects.create(survey=survey, contact=contact, token="inv-1",
                                         created_at=now)  # fmt: skip
    response = Response.objects.create(survey=survey, version=version, contact=contact,
                                       invite=invite, submitted_at=now, nps=9)  # fmt: skip
    Answer.objects.create(response=response, question=question, text="Great support")
    FeedbackItem.objects.create(source="manual", text="Love the reports", contact=contact,
                                sentiment="positive", occurred_at=now)  # fmt: skip
    experiment = Experiment.objects.create(name="Hero test", kind="email_subject",
                                           goal="email_click", salt="s")  # fmt: skip
    variant = Variant.objects.create(experiment=experiment, key="a", name="A")
    Exposure.objects.create(experiment=experiment, variant=variant, subject_key=f"c:{contact.pk}",
                            contact=contact, exposed_at=now)  # fmt: skip
    return Person(contact=contact, deal=deal, other_deal=other_deal, company=company)
