"""The data-subject archive (GDPR art. 15 and 20): every record held about one contact as JSON
files in one zip, one query per kind of record, each streamed into its file.

Every model that points at Contact must be listed in EXPORTED (with the queryset that reads it)
or in NOT_EXPORTED (with the reason); tests/privacy/test_export.py fails on a new relation that
is in neither, so a new kind of personal record cannot be forgotten silently.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q, QuerySet

from revline.content.models import FormSubmission
from revline.email.models import DeliveryEvent, Enrollment, Send, SendClick, TopicOptOut
from revline.experiments.models import Exposure
from revline.feedback.models import FeedbackItem
from revline.leads.models import Handoff, LifecycleTransition, ScoreChange
from revline.people.models import ConsentRecord, Contact, TimelineEvent
from revline.quotes.models import Order, QuoteVersion
from revline.sales.models import (
    Activity,
    ContentShare,
    Deal,
    DealContact,
    DealStageChange,
    Meeting,
    Objection,
)
from revline.surveys.models import Answer, Response, SurveyInvite
from revline.tracking.models import Touchpoint, Visitor

from .models import PrivacyRequest


def deals_of(contact: Contact) -> QuerySet[Deal]:
    """Deals the person is on: as the primary contact or in the buying committee."""
    return Deal.objects.filter(Q(contact=contact) | Q(committee__contact=contact)).distinct()


def _deal_ids(contact: Contact) -> QuerySet[Deal, Any]:
    return deals_of(contact).values("pk")


@dataclass(frozen=True)
class Source:
    name: str
    model: type[Model]
    rows: Callable[[Contact], QuerySet[Any]]
    # Related values that make a row readable on its own (e.g. the question of an answer).
    extra: tuple[str, ...] = ()


EXPORTED: tuple[Source, ...] = (
    Source("consent_history", ConsentRecord, lambda c: ConsentRecord.objects.filter(contact=c)),
    Source("timeline_events", TimelineEvent, lambda c: TimelineEvent.objects.filter(contact=c)),
    Source(
        "lifecycle_history",
        LifecycleTransition,
        lambda c: LifecycleTransition.objects.filter(contact=c),
    ),
    Source("visitors", Visitor, lambda c: Visitor.objects.filter(contact=c)),
    Source(
        "touchpoints",
        Touchpoint,
        lambda c: Touchpoint.objects.filter(
            Q(contact=c) | Q(visitor__in=Visitor.objects.filter(contact=c).values("pk"))
        ),
        ("campaign__name",),
    ),
    Source(
        "form_submissions",
        FormSubmission,
        lambda c: FormSubmission.objects.filter(contact=c),
        ("form__name", "landing_page__slug"),
    ),
    Source("email_sends", Send, lambda c: Send.objects.filter(contact=c), ("email__subject",)),
    Source(
        "email_clicks",
        SendClick,
        lambda c: SendClick.objects.filter(send__contact=c),
        ("link__url",),
    ),
    Source(
        "email_delivery_events",
        DeliveryEvent,
        lambda c: DeliveryEvent.objects.filter(send__contact=c),
    ),
    Source(
        "email_topic_opt_outs",
        TopicOptOut,
        lambda c: TopicOptOut.objects.filter(contact=c),
        ("topic__name",),
    ),
    Source(
        "email_sequence_enrollments",
        Enrollment,
        lambda c: Enrollment.objects.filter(contact=c),
        ("sequence__name",),
    ),
    Source("score_changes", ScoreChange, lambda c: ScoreChange.objects.filter(contact=c)),
    Source("handoffs", Handoff, lambda c: Handoff.objects.filter(contact=c)),
    Source(
        "deals",
        Deal,
        lambda c: Deal.objects.filter(pk__in=_deal_ids(c)),
        ("stage__name", "pipeline__name"),
    ),
    Source(
        "deal_committee_roles",
        DealContact,
        lambda c: DealContact.objects.filter(contact=c),
        ("deal__name",),
    ),
    Source(
        "deal_stage_history",
        DealStageChange,
        lambda c: DealStageChange.objects.filter(deal__in=_deal_ids(c)),
        ("from_stage__name", "to_stage__name"),
    ),
    Source(
        "deal_objections",
        Objection,
        lambda c: Objection.objects.filter(deal__in=_deal_ids(c)),
        ("objection_type__name",),
    ),
    Source(
        "activities_and_notes",
        Activity,
        lambda c: Activity.objects.filter(Q(contact=c) | Q(deal__in=_deal_ids(c))),
    ),
    Source("meetings", Meeting, lambda c: Meeting.objects.filter(contact=c)),
    Source(
        "content_shared",
        ContentShare,
        lambda c: ContentShare.objects.filter(contact=c),
        ("content_item__title",),
    ),
    Source("orders", Order, lambda c: Order.objects.filter(contact=c), ("product__name",)),
    Source(
        "quotes_sent",
        QuoteVersion,
        lambda c: QuoteVersion.objects.filter(quote__deal__in=_deal_ids(c), sent_at__isnull=False),
        ("quote__number", "quote__title"),
    ),
    Source(
        "survey_invites",
        SurveyInvite,
        lambda c: SurveyInvite.objects.filter(contact=c),
        ("survey__name",),
    ),
    Source(
        "survey_responses",
        Response,
        lambda c: Response.objects.filter(contact=c),
        ("survey__name",),
    ),
    Source(
        "survey_answers",
        Answer,
        lambda c: Answer.objects.filter(response__contact=c),
        ("question__label",),
    ),
    Source("feedback_items", FeedbackItem, lambda c: FeedbackItem.objects.filter(contact=c)),
    Source(
        "experiment_exposures",
        Exposure,
        lambda c: Exposure.objects.filter(contact=c),
        ("experiment__name", "variant__name"),
    ),
    Source("privacy_requests", PrivacyRequest, lambda c: PrivacyRequest.objects.filter(contact=c)),
)

# Models with a relation to Contact that the archive leaves out on purpose, and why.
NOT_EXPORTED: dict[str, str] = {}


def _rows(source: Source, contact: Contact) -> Iterator[dict[str, Any]]:
    fields = [f.attname for f in source.model._meta.concrete_fields]
    qs = source.rows(contact).order_by("pk").values(*fields, *source.extra)
    yield from qs.iterator(chunk_size=2000)


def _profile(contact: Contact) -> dict[str, Any]:
    profile = {f.attname: getattr(contact, f.attname) for f in Contact._meta.concrete_fields}
    profile["tags"] = list(contact.tags.values_list("name", flat=True))
    company = contact.company
    profile["company"] = (
        {f.attname: getattr(company, f.attname) for f in company._meta.concrete_fields}
        if company is not None
        else None
    )
    return profile


def _write_json_array(zf: zipfile.ZipFile, name: str, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    with zf.open(f"{name}.json", "w") as out:
        out.write(b"[")
        for row in rows:
            out.write(
                (b",\n" if count else b"\n") + json.dumps(row, cls=DjangoJSONEncoder).encode()
            )
            count += 1
        out.write(b"\n]\n" if count else b"]\n")
    return count


def contact_archive_write(
    *, contact: Contact, out: IO[bytes], generated_at: datetime
) -> dict[str, int]:
    """Write the archive of `contact` to `out` (a binary file); returns rows per file."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("profile.json", json.dumps(_profile(contact), cls=DjangoJSONEncoder, indent=2))
        for source in EXPORTED:
            counts[source.name] = _write_json_array(zf, source.name, _rows(source, contact))
        manifest = {
            "format": "revline-contact-archive/1",
            "contact_id": contact.pk,
            "generated_at": generated_at,
            "files": {"profile.json": 1, **{f"{k}.json": v for k, v in counts.items()}},
        }
        zf.writestr("manifest.json", json.dumps(manifest, cls=DjangoJSONEncoder, indent=2))
    return counts
