"""Writes for surveys: building (versioned questions), publishing, responses, email invites."""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, get_connection, send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User
from revline.core.workspace import workspace_get
from revline.people.models import ConsentRecord, Contact
from revline.segments.models import Segment
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

from .answering import MAX_TEXT, answers_parse, number_range
from .metrics import END, OPS
from .models import (
    Answer,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyDistribution,
    SurveyInvite,
    SurveyStatus,
    SurveyVersion,
)

logger = logging.getLogger(__name__)

MARKETING_ONLY = "Only marketers and admins manage surveys."
MARKETING_PURPOSE = "marketing_email"  # the consent an emailed invite needs (as campaign email)
MAX_OPTIONS = 20
MAX_RULES = 5
SEND_BATCH = 50
CHOICE_KINDS = {QuestionKind.SINGLE, QuestionKind.MULTIPLE}
NUMBER_KINDS = {QuestionKind.NPS, QuestionKind.CSAT, QuestionKind.RATING}
SKIP_NO_ADDRESS = "no email address"
SKIP_NO_CONSENT = "no consent to marketing email"
SKIP_SUPPRESSED = "on the suppression list"


def _require_marketer(actor: User) -> None:
    permissions.require(permissions.can_manage_marketing(actor), MARKETING_ONLY)


# --- Surveys ------------------------------------------------------------------------------------

SURVEY_FIELDS = ("name", "slug", "intro", "thank_you", "allow_anonymous", "allow_repeat")


def _unique_slug(base: str, *, exclude_pk: int | None = None) -> str:
    root = (slugify(base) or "survey")[:70]
    slug, n = root, 1
    others = Survey.objects.exclude(pk=exclude_pk) if exclude_pk else Survey.objects.all()
    while others.filter(slug=slug).exists():
        n += 1
        slug = f"{root}-{n}"
    return slug


def _survey_clean(survey: Survey) -> None:
    errors: dict[str, str] = {}
    survey.name = survey.name.strip()
    if not survey.name:
        errors["name"] = "Give the survey a name."
    if survey.slug != slugify(survey.slug) or not survey.slug:
        errors["slug"] = "Use lower-case letters, digits and hyphens only."
    elif Survey.objects.exclude(pk=survey.pk).filter(slug=survey.slug).exists():
        errors["slug"] = "Another survey uses this address."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def survey_create(*, actor: User, name: str, slug: str = "", **fields: Any) -> Survey:
    """A draft survey with an empty first version."""
    _require_marketer(actor)
    survey = Survey(name=name, created_by=actor)
    for key in SURVEY_FIELDS[2:]:
        if key in fields:
            setattr(survey, key, fields[key])
    survey.slug = slug.strip() or _unique_slug(name)
    _survey_clean(survey)
    survey.save()
    SurveyVersion.objects.create(survey=survey, number=1)
    audit_create(actor=actor, obj=survey)
    return survey


@transaction.atomic
def survey_update(*, actor: User, survey: Survey, **fields: Any) -> Survey:
    _require_marketer(actor)
    before = snapshot(survey)
    for key in SURVEY_FIELDS:
        if key in fields:
            setattr(survey, key, fields[key])
    _survey_clean(survey)
    survey.save()
    audit_update(actor=actor, obj=survey, before=before)
    return survey


@transaction.atomic
def survey_delete(*, actor: User, survey: Survey) -> None:
    """Delete a survey nobody has answered yet. One with responses is closed instead: its
    answers are customer data the results and the feedback inbox still read."""
    _require_marketer(actor)
    if survey.responses.exists():
        raise ValidationError(
            {"survey": "This survey has responses: close it instead of deleting it."}
        )
    audit_delete(actor=actor, obj=survey)
    survey.delete()


def latest_version(survey: Survey) -> SurveyVersion:
    version = survey.versions.order_by("-number").first()
    if version is None:  # a survey made outside survey_create
        version = SurveyVersion.objects.create(survey=survey, number=1)
    return version


def _copy_version(version: SurveyVersion) -> SurveyVersion:
    copy = SurveyVersion.objects.create(survey=version.survey, number=version.number + 1)
    Question.objects.bulk_create(
        Question(
            version=copy,
            key=q.key,
            position=q.position,
            kind=q.kind,
            label=q.label,
            help_text=q.help_text,
            required=q.required,
            options=list(q.options),
            scale_max=q.scale_max,
            logic=list(q.logic),
        )
        for q in version.questions.order_by("position")
    )
    return copy


def editable_version(survey: Survey) -> SurveyVersion:
    """The version the builder may change: the newest one, or a fresh copy of it when it has
    responses already (those must stay readable exactly as they were answered)."""
    version = latest_version(survey)
    if version.responses.exists():
        version = _copy_version(version)
    return version


def _in_editable(question: Question) -> Question:
    """The same question (by key) in the survey's editable version."""
    version = editable_version(question.version.survey)
    return version.questions.get(key=question.key)


# --- Questions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionInput:
    kind: str
    label: str
    help_text: str = ""
    required: bool = False
    options: Sequence[str] = ()
    scale_max: int = 5
    logic: Sequence[dict[str, Any]] = ()


def _clean_options(kind: str, options: Sequence[str]) -> list[str]:
    if kind not in CHOICE_KINDS:
        return []
    cleaned = list(dict.fromkeys(o.strip()[:200] for o in options if o.strip()))
    if len(cleaned) < 2:
        raise ValidationError({"options": "Give at least two options, one per line."})
    if len(cleaned) > MAX_OPTIONS:
        raise ValidationError({"options": f"At most {MAX_OPTIONS} options."})
    return cleaned


def _clean_rule(
    rule: dict[str, Any], *, kind: str, options: list[str], low: int, high: int, later: set[str]
) -> dict[str, Any]:
    op, value, goto = rule.get("op"), rule.get("value"), str(rule.get("goto") or "")
    if op not in OPS:
        raise ValidationError({"logic": "Choose how the answer is compared."})
    if goto != END and goto not in later:
        raise ValidationError({"logic": "A rule can only skip forward, to a later question."})
    if kind in NUMBER_KINDS:
        if op == "includes":
            raise ValidationError({"logic": "Compare a number with “is”, “at most” or “at least”."})
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            raise ValidationError({"logic": f"Give a number from {low} to {high}."}) from None
        if not low <= number <= high:
            raise ValidationError({"logic": f"Give a number from {low} to {high}."})
        return {"op": op, "value": number, "goto": goto}
    if kind == QuestionKind.TEXT:
        raise ValidationError({"logic": "Free-text answers cannot drive skip logic."})
    expected = "eq" if kind == QuestionKind.SINGLE else "includes"
    if op != expected or str(value) not in options:
        raise ValidationError({"logic": "Choose one of the question's options for the rule."})
    return {"op": op, "value": str(value), "goto": goto}


def _apply(question: Question, data: QuestionInput) -> None:
    if data.kind not in QuestionKind.values:
        raise ValidationError({"kind": "Choose a question type."})
    label = data.label.strip()
    if not label:
        raise ValidationError({"label": "Write the question."})
    question.kind = data.kind
    question.label = label[:300]
    question.help_text = data.help_text.strip()[:300]
    question.required = data.required
    question.options = _clean_options(data.kind, data.options)
    if data.kind == QuestionKind.RATING and not 2 <= int(data.scale_max) <= 10:
        raise ValidationError({"scale_max": "A rating scale goes up to between 2 and 10."})
    question.scale_max = int(data.scale_max) if data.kind == QuestionKind.RATING else 5
    low, high = number_range(question)
    later = set(
        Question.objects.filter(version=question.version, position__gt=question.position)
        .exclude(pk=question.pk)
        .values_list("key", flat=True)
    )
    rules = [r for r in data.logic if r.get("op") or r.get("goto")]
    if len(rules) > MAX_RULES:
        raise ValidationError({"logic": f"At most {MAX_RULES} rules per question."})
    question.logic = [
        _clean_rule(r, kind=data.kind, options=question.options, low=low, high=high, later=later)
        for r in rules
    ]


@transaction.atomic
def question_add(*, actor: User, survey: Survey, data: QuestionInput) -> Question:
    """A question at the end of the editable version."""
    _require_marketer(actor)
    version = editable_version(survey)
    last = version.questions.aggregate(m=Max("position"))["m"] or 0
    question = Question(version=version, key=secrets.token_hex(4), position=last + 1)
    _apply(question, data)
    question.save()
    audit_create(actor=actor, obj=question)
    return question


@transaction.atomic
def question_update(*, actor: User, question: Question, data: QuestionInput) -> Question:
    """Change a question; in a version with responses the change goes to the next version."""
    _require_marketer(actor)
    question = _in_editable(question)
    before = snapshot(question)
    _apply(question, data)
    question.save()
    audit_update(actor=actor, obj=question, before=before)
    return question


def _renumber(version: SurveyVersion) -> None:
    questions = list(version.questions.order_by("position", "pk"))
    # Two passes: the unique (version, position) must hold after every single update.
    for offset, q in enumerate(questions, start=1):
        Question.objects.filter(pk=q.pk).update(position=10_000 + offset)
    for offset, q in enumerate(questions, start=1):
        Question.objects.filter(pk=q.pk).update(position=offset)


def _drop_backward_rules(version: SurveyVersion) -> None:
    """After a move or removal, rules that no longer point forward are dropped."""
    questions = list(version.questions.order_by("position"))
    for i, q in enumerate(questions):
        later = {other.key for other in questions[i + 1 :]}
        kept = [
            r
            for r in q.logic
            if isinstance(r, dict) and (r.get("goto") in later or r.get("goto") == END)
        ]
        if kept != q.logic:
            Question.objects.filter(pk=q.pk).update(logic=kept)


@transaction.atomic
def question_remove(*, actor: User, question: Question) -> None:
    _require_marketer(actor)
    question = _in_editable(question)
    version = question.version
    audit_delete(actor=actor, obj=question)
    question.delete()
    _renumber(version)
    _drop_backward_rules(version)


@transaction.atomic
def question_move(*, actor: User, question: Question, offset: int) -> None:
    """Move one place up (-1) or down (+1)."""
    _require_marketer(actor)
    if offset not in (-1, 1):
        raise ValidationError("Move a question one place up or down.")
    question = _in_editable(question)
    version = question.version
    questions = list(version.questions.order_by("position"))
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    target = index + offset
    if not 0 <= target < len(questions):
        return
    questions[index], questions[target] = questions[target], questions[index]
    for position, q in enumerate(questions, start=1):
        q.position = position
    for q in questions:
        Question.objects.filter(pk=q.pk).update(position=10_000 + q.position)
    for q in questions:
        Question.objects.filter(pk=q.pk).update(position=q.position)
    _drop_backward_rules(version)


# --- Publishing ---------------------------------------------------------------------------------


@transaction.atomic
def survey_publish(*, actor: User, survey: Survey, now: datetime | None = None) -> Survey:
    """Open the survey with its newest version (earlier responses keep theirs)."""
    _require_marketer(actor)
    version = latest_version(survey)
    if not version.questions.exists():
        raise ValidationError("Add at least one question before publishing.")
    if version.published_at is None:
        version.published_at = now or timezone.now()
        version.save(update_fields=["published_at"])
    before = snapshot(survey, fields=("live_version", "status"))
    survey.live_version = version
    survey.status = SurveyStatus.OPEN
    survey.save(update_fields=["live_version", "status", "updated_at"])
    audit_update(actor=actor, obj=survey, before=before)
    return survey


@transaction.atomic
def survey_close(*, actor: User, survey: Survey) -> Survey:
    _require_marketer(actor)
    if survey.status != SurveyStatus.OPEN:
        raise ValidationError("Only an open survey can be closed.")
    before = snapshot(survey, fields=("status",))
    survey.status = SurveyStatus.CLOSED
    survey.save(update_fields=["status", "updated_at"])
    audit_update(actor=actor, obj=survey, before=before)
    return survey


# --- Responses ----------------------------------------------------------------------------------


class AlreadyAnswered(Exception):
    """The personal link was used already and the survey allows one response per link."""


def _feedback_hand_off(*, response: Response, texts: list[Answer], contact: Contact | None) -> None:
    try:
        from revline.feedback.services import feedback_record
    except ImportError:  # the feedback app is optional for surveys
        return
    url = reverse("surveys:results", kwargs={"pk": response.survey_id})
    for answer in texts:
        feedback_record(
            source="survey",
            source_id=answer.pk,
            text=answer.text,
            occurred_at=response.submitted_at,
            contact=contact,
            company=contact.company if contact is not None else None,
            score=response.nps,
            url=url,
        )


@transaction.atomic
def response_submit(
    *,
    survey: Survey,
    version: SurveyVersion,
    get_list: Callable[[str], list[str]],
    invite: SurveyInvite | None = None,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> Response:
    """Store one response to `version` (the live one). Raises ValidationError with an error per
    question key, AlreadyAnswered for a used personal link, and stores nothing in either case.

    A response with a contact writes a SURVEY_RESPONSE touchpoint (the contact's timeline) and
    hands its free-text answers to the feedback inbox."""
    now = now or timezone.now()
    if survey.status != SurveyStatus.OPEN or survey.live_version_id != version.pk:
        raise ValidationError({"__all__": "This survey is not open for answers."})
    if invite is None and not survey.allow_anonymous:
        raise ValidationError({"__all__": "This survey is answered through a personal link."})
    if invite is not None:
        invite = SurveyInvite.objects.select_for_update().get(pk=invite.pk)
        if invite.survey_id != survey.pk:
            raise ValidationError({"__all__": "This link belongs to another survey."})
        if invite.responded_at is not None and not survey.allow_repeat:
            raise AlreadyAnswered
    questions = list(version.questions.order_by("position"))
    parsed = answers_parse(questions, get_list)
    if parsed.errors:
        raise ValidationError(parsed.errors)
    if not parsed.answers:
        raise ValidationError({"__all__": "Answer at least one question."})
    contact = invite.contact if invite is not None else None
    by_key = {q.key: q for q in questions}
    first: dict[str, int | None] = {
        kind: next((value for q in questions if q.kind == kind
                    and isinstance(value := parsed.answers.get(q.key), int)), None)
        for kind in (QuestionKind.NPS, QuestionKind.CSAT)
    }  # fmt: skip
    response = Response.objects.create(
        survey=survey,
        version=version,
        contact=contact,
        invite=invite,
        submitted_at=now,
        ip_address=ip_address or None,
        is_anonymous=invite is None,
        nps=first[QuestionKind.NPS],
        csat=first[QuestionKind.CSAT],
    )
    rows: list[Answer] = []
    for key, value in parsed.answers.items():
        question = by_key[key]
        if isinstance(value, list):
            rows.extend(Answer(response=response, question=question, choice=v) for v in value)
        elif isinstance(value, int):
            rows.append(Answer(response=response, question=question, number=value))
        elif question.kind == QuestionKind.SINGLE:
            rows.append(Answer(response=response, question=question, choice=str(value)))
        else:
            rows.append(Answer(response=response, question=question, text=str(value)[:MAX_TEXT]))
    Answer.objects.bulk_create(rows)
    if invite is not None and invite.responded_at is None:
        invite.responded_at = now
        invite.save(update_fields=["responded_at"])
    if contact is not None:
        params: dict[str, object] = {
            "survey_id": survey.pk,
            "survey": survey.name,
            "response_id": response.pk,
        }
        if response.nps is not None:
            params["nps"] = response.nps
        if response.csat is not None:
            params["csat"] = response.csat
        touchpoint_record(
            kind=TouchpointKind.SURVEY_RESPONSE,
            visitor=None,
            contact=contact,
            occurred_at=now,
            params=params,
        )
    texts = [a for a in rows if a.question.kind == QuestionKind.TEXT and a.text]
    if texts:
        if any(a.pk is None for a in texts):  # backends that return no ids from bulk_create
            texts = list(response.answers.filter(question__kind=QuestionKind.TEXT).exclude(text=""))
        _feedback_hand_off(response=response, texts=texts, contact=contact)
    return response


# --- Invites and email distribution -------------------------------------------------------------


def invite_for(*, survey: Survey, contact: Contact, now: datetime | None = None) -> SurveyInvite:
    """The contact's personal link to the survey (created once, then the same one)."""
    invite, _ = SurveyInvite.objects.get_or_create(
        survey=survey,
        contact=contact,
        defaults={"token": secrets.token_urlsafe(24), "created_at": now or timezone.now()},
    )
    return invite


def invite_url(invite: SurveyInvite) -> str:
    path = reverse(
        "surveys:public_invite", kwargs={"slug": invite.survey.slug, "token": invite.token}
    )
    return settings.BASE_URL + path


DEFAULT_SUBJECT = "A quick question from {workspace}"
DEFAULT_MESSAGE = (
    "We would love to hear what you think. It takes a minute, and every answer is read."
)


def eligible_annotate(contacts: Any) -> Any:
    """Annotate `consent_status` (newest marketing-email consent) and `suppressed`."""
    from revline.email.models import Suppression

    consent = (
        ConsentRecord.objects.filter(contact=OuterRef("pk"), purpose=MARKETING_PURPOSE)
        .order_by("-recorded_at", "-pk")
        .values("status")[:1]
    )
    return contacts.annotate(
        consent_status=Subquery(consent),
        suppressed=Exists(Suppression.objects.filter(address=Lower(OuterRef("email")))),
    )


def _skip_reason(*, email: str, consent: str | None, suppressed: bool) -> str:
    if not email:
        return SKIP_NO_ADDRESS
    if suppressed:
        return SKIP_SUPPRESSED
    if consent != "granted":
        return SKIP_NO_CONSENT
    return ""


@dataclass(frozen=True)
class DistributionResult:
    distribution: SurveyDistribution
    invited: int  # new invites to be emailed
    already: int  # contacts invited before (never emailed twice)
    skipped: dict[str, int]  # reason -> contacts


def survey_distribute(
    *,
    actor: User,
    survey: Survey,
    segment: Segment,
    subject: str,
    message: str,
    now: datetime | None = None,
) -> DistributionResult:
    """Invite every contact of the segment who may receive marketing email (an address, consent
    in force, not suppressed) and email each their personal link in the background. Contacts
    invited before are left alone, so nobody gets the survey twice."""
    from revline.segments.selectors import segment_contacts

    _require_marketer(actor)
    now = now or timezone.now()
    if survey.status != SurveyStatus.OPEN:
        raise ValidationError("Publish the survey before sending it.")
    subject, message = " ".join(subject.split()), message.strip()
    errors = {}
    if not subject:
        errors["subject"] = "Write a subject line."
    if not message:
        errors["message"] = "Write a short message."
    if errors:
        raise ValidationError(errors)
    try:
        contacts = eligible_annotate(segment_contacts(definition=segment.definition, now=now))
        rows = list(
            contacts.order_by("pk").values_list("pk", "email", "consent_status", "suppressed")
        )
    except ValidationError as exc:
        raise ValidationError(
            {"segment": "This segment needs fixing: " + " ".join(exc.messages)}
        ) from exc
    invited_before = set(
        SurveyInvite.objects.filter(survey=survey).values_list("contact_id", flat=True)
    )
    skipped: dict[str, int] = {}
    new_ids: list[int] = []
    already = 0
    for contact_id, address, consent, suppressed in rows:
        reason = _skip_reason(email=address, consent=consent, suppressed=suppressed)
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
        elif contact_id in invited_before:
            already += 1
        else:
            new_ids.append(contact_id)
    with transaction.atomic():
        distribution = SurveyDistribution.objects.create(
            survey=survey,
            segment=segment,
            segment_name=segment.name,
            subject=subject[:200],
            message=message,
            invited=len(new_ids),
            skipped=sum(skipped.values()),
            created_by=actor,
            created_at=now,
        )
        audit_create(actor=actor, obj=distribution)
        SurveyInvite.objects.bulk_create(
            [
                SurveyInvite(
                    survey=survey,
                    contact_id=pk,
                    distribution=distribution,
                    token=secrets.token_urlsafe(24),
                    created_at=now,
                )
                for pk in new_ids
            ],
            ignore_conflicts=True,
        )
        distribution_id = distribution.pk
        transaction.on_commit(lambda: _enqueue_sending(distribution_id))
    return DistributionResult(
        distribution=distribution, invited=len(new_ids), already=already, skipped=skipped
    )


def _sender() -> str:
    workspace = workspace_get()
    if workspace.email_from_address:
        return f"{workspace.email_from_name or workspace.name} <{workspace.email_from_address}>"
    return settings.DEFAULT_FROM_EMAIL


def _claim(distribution_id: int, now: datetime) -> list[int]:
    """Take up to SEND_BATCH unclaimed invites; only the task whose update wins sends them."""
    ids = list(
        SurveyInvite.objects.filter(
            distribution_id=distribution_id, claimed_at__isnull=True, sent_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:SEND_BATCH]
    )
    claimed = []
    for pk in ids:
        if SurveyInvite.objects.filter(pk=pk, claimed_at__isnull=True).update(claimed_at=now):
            claimed.append(pk)
    return claimed


def invites_send(*, distribution_id: int, now: datetime | None = None) -> int:
    """Email each unsent invite of the distribution its personal link, through the configured
    email backend. An invite is claimed before it is sent, so no invite is ever emailed twice
    (a worker that dies mid-send leaves its claimed invites unsent rather than repeat them).
    Returns how many messages were handed over."""
    distribution = (
        SurveyDistribution.objects.select_related("survey").filter(pk=distribution_id).first()
    )
    if distribution is None:
        return 0
    survey = distribution.survey
    workspace = workspace_get()
    sender = _sender()
    sent = 0
    with get_connection() as connection:
        while ids := _claim(distribution_id, now or timezone.now()):
            invites = SurveyInvite.objects.filter(pk__in=ids).select_related("contact", "survey")
            for invite in invites:
                context = {
                    "survey": survey,
                    "contact": invite.contact,
                    "message": distribution.message,
                    "url": invite_url(invite),
                    "workspace": workspace,
                }
                try:
                    send_mail(
                        subject=distribution.subject.replace("{workspace}", workspace.name),
                        message=render_to_string("surveys/invite_email.txt", context),
                        html_message=render_to_string("surveys/invite_email.html", context),
                        from_email=sender,
                        recipient_list=[invite.contact.email],
                        connection=connection,
                    )
                except (OSError, smtplib.SMTPException, BadHeaderError) as exc:  # one bad address
                    logger.warning("Survey invite %s was not sent: %s", invite.pk, exc)
                    SurveyInvite.objects.filter(pk=invite.pk).update(send_error=str(exc)[:500])
                    continue
                SurveyInvite.objects.filter(pk=invite.pk).update(sent_at=timezone.now())
                sent += 1
    return sent


def _enqueue_sending(distribution_id: int) -> None:
    from .tasks import survey_invites_send_task

    survey_invites_send_task.enqueue(distribution_id)
