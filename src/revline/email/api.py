"""Email templates, campaign emails (with their actions, stats and sends), automation sequences
and contact imports over the JSON API.

Permissions follow the pages: templates are for marketers and admins only; everyone reads
campaign emails and sequences, marketers and admins change them; everyone may import, and only
the uploader (or an admin) changes an import. Sending goes through send_services, so suppression,
consent, topic opt-outs and the rate limit apply exactly as from the UI.
"""

import io
import itertools
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.campaigns.models import Campaign
from revline.core import permissions
from revline.core.api_support import api_user, related_or_422, state_conflict
from revline.core.audience import require_whole_audience
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset
from revline.core.visibility import contact_q, visible_contacts
from revline.people import import_parsing as parsing
from revline.people import import_services
from revline.people.models import Contact, ContactImport, ImportStatus
from revline.segments.models import Segment

from . import (
    send_selectors,
    send_services,
    sequence_selectors,
    sequence_services,
    template_services,
)
from .api_schemas import (
    BadRowOut,
    EmailFilters,
    EmailIn,
    EmailOut,
    EmailPatch,
    EmailStatsOut,
    EnrollIn,
    EnrollmentFilters,
    EnrollmentOut,
    ImportConfigureIn,
    ImportFilters,
    ImportIn,
    ImportOut,
    ScheduleIn,
    SendFilters,
    SendOut,
    SequenceFilters,
    SequenceIn,
    SequenceOut,
    SequencePatch,
    StepIn,
    StepMoveIn,
    StepOut,
    StepPatch,
    TemplateFilters,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
    TestSendIn,
    TestSendOut,
)
from .models import (
    Email,
    EmailKind,
    EmailStatus,
    EmailTemplate,
    Enrollment,
    Send,
    Sequence,
    SequenceStatus,
    SequenceStep,
    Topic,
)

router = Router()

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ACTION_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
MAX_BAD_ROWS = 10_000


def _marketer(request: HttpRequest, message: str) -> User:
    user = api_user(request)
    permissions.require(permissions.can_manage_marketing(user), message)
    return user


# --- Templates ----------------------------------------------------------------------------------

TEMPLATES_ONLY = "Only marketers and admins work on email templates."


def _templates() -> QuerySet[EmailTemplate]:
    return EmailTemplate.objects.select_related("created_by")


@router.get(
    "/email/templates", response={200: list[TemplateOut], 403: ErrorOut}, tags=["email templates"]
)
@paginate(LimitOffset)
def list_templates(request: HttpRequest, filters: Query[TemplateFilters]) -> Any:
    _marketer(request, TEMPLATES_ONLY)
    rows = _templates()
    if filters.q:
        rows = rows.filter(Q(name__icontains=filters.q) | Q(subject__icontains=filters.q))
    if filters.body_format:
        rows = rows.filter(body_format=filters.body_format)
    return rows.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.post(
    "/email/templates",
    response={201: TemplateOut, **ERRORS},
    tags=["email templates"],
    summary="Create a template (HTML is sanitised)",
)
def create_template(request: HttpRequest, payload: TemplateIn) -> Any:
    actor = _marketer(request, TEMPLATES_ONLY)
    template = template_services.template_create(actor=actor, **payload.model_dump())
    return Status(201, _templates().get(pk=template.pk))


@router.get(
    "/email/templates/{int:template_id}",
    response={200: TemplateOut, 403: ErrorOut, 404: ErrorOut},
    tags=["email templates"],
)
def get_template(request: HttpRequest, template_id: int) -> Any:
    _marketer(request, TEMPLATES_ONLY)
    return get_object_or_404(_templates(), pk=template_id)


@router.patch(
    "/email/templates/{int:template_id}",
    response={200: TemplateOut, **ERRORS},
    tags=["email templates"],
)
def update_template(request: HttpRequest, template_id: int, payload: TemplatePatch) -> Any:
    actor = _marketer(request, TEMPLATES_ONLY)
    template = get_object_or_404(EmailTemplate.objects.all(), pk=template_id)
    current = {
        name: getattr(template, name)
        for name in ("name", "subject", "preheader", "body_format", "blocks", "html")
    }
    template_services.template_update(
        actor=actor, template=template, **{**current, **payload.model_dump(exclude_unset=True)}
    )
    return _templates().get(pk=template.pk)


@router.delete(
    "/email/templates/{int:template_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["email templates"],
    summary="Delete a template; emails made from it keep their own copy",
)
def delete_template(request: HttpRequest, template_id: int) -> Any:
    actor = _marketer(request, TEMPLATES_ONLY)
    template = get_object_or_404(EmailTemplate.objects.all(), pk=template_id)
    template_services.template_delete(actor=actor, template=template)
    return Status(204, None)


@router.post(
    "/email/templates/{int:template_id}/duplicate",
    response={201: TemplateOut, 403: ErrorOut, 404: ErrorOut},
    tags=["email templates"],
    summary="Copy a template (named “Copy of …”)",
)
def duplicate_template(request: HttpRequest, template_id: int) -> Any:
    actor = _marketer(request, TEMPLATES_ONLY)
    template = get_object_or_404(EmailTemplate.objects.all(), pk=template_id)
    copy = template_services.template_duplicate(actor=actor, template=template)
    return Status(201, _templates().get(pk=copy.pk))


def _contact(viewer: User, contact_id: int | None) -> Contact | None:
    """A contact the viewer may see; any other id is a 422 naming `contact_id`."""
    visible = visible_contacts(Contact.objects.all(), viewer)
    return related_or_422(visible, contact_id, field="contact_id")


def _of_visible_contacts(rows: QuerySet[Any], viewer: User) -> QuerySet[Any]:
    """Rows about a contact, limited to the contacts the viewer may see (as on the pages)."""
    condition = contact_q(viewer, "contact__")
    return rows.filter(condition) if condition else rows


@router.post(
    "/email/templates/{int:template_id}/test",
    response={200: TestSendOut, **ERRORS},
    tags=["email templates"],
    summary="Send the template to one address, subject prefixed “[Test]”",
)
def test_template(request: HttpRequest, template_id: int, payload: TestSendIn) -> Any:
    actor = _marketer(request, TEMPLATES_ONLY)
    template = get_object_or_404(EmailTemplate.objects.all(), pk=template_id)
    rendered = template_services.template_test_send(
        actor=actor,
        content=template,
        to_address=payload.to,
        contact=_contact(actor, payload.contact_id),
    )
    return {"to": payload.to, "subject": template_services.TEST_PREFIX + rendered.subject}


# --- Campaign emails ------------------------------------------------------------------------------

EMAILS_ONLY = "Only marketers and admins send email."


def _emails() -> QuerySet[Email]:
    return Email.objects.filter(kind=EmailKind.CAMPAIGN).select_related(
        "template", "segment", "topic", "campaign", "created_by"
    )


def _email_relations(data: dict[str, Any]) -> dict[str, Any]:
    """Body ids to records; an unknown id is a 422 naming its field."""
    for name, queryset in (
        ("template", EmailTemplate.objects.all()),
        ("segment", Segment.objects.all()),
        ("topic", Topic.objects.all()),
        ("campaign", Campaign.objects.all()),
    ):
        key = f"{name}_id"
        if key in data:
            data[name] = related_or_422(queryset, data.pop(key), field=key)
    return data


@router.get("/emails", response=list[EmailOut], tags=["emails"])
@paginate(LimitOffset)
def list_emails(request: HttpRequest, filters: Query[EmailFilters]) -> Any:
    rows = _emails()
    if filters.q:
        rows = rows.filter(Q(name__icontains=filters.q) | Q(subject__icontains=filters.q))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.segment_id is not None:
        rows = rows.filter(segment_id=filters.segment_id)
    if filters.campaign_id is not None:
        rows = rows.filter(campaign_id=filters.campaign_id)
    return rows.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.post(
    "/emails",
    response={201: EmailOut, **ERRORS},
    tags=["emails"],
    summary="Create a draft campaign email; its content is copied from the template",
)
def create_email(request: HttpRequest, payload: EmailIn) -> Any:
    actor = _marketer(request, EMAILS_ONLY)
    email = send_services.email_create(actor=actor, **_email_relations(payload.model_dump()))
    return Status(201, _emails().get(pk=email.pk))


@router.get("/emails/{int:email_id}", response={200: EmailOut, 404: ErrorOut}, tags=["emails"])
def get_email(request: HttpRequest, email_id: int) -> Any:
    return get_object_or_404(_emails(), pk=email_id)


@router.patch(
    "/emails/{int:email_id}",
    response={200: EmailOut, **ACTION_ERRORS},
    tags=["emails"],
    summary="Change a draft (cancel a schedule first)",
)
def update_email(request: HttpRequest, email_id: int, payload: EmailPatch) -> Any:
    actor = _marketer(request, EMAILS_ONLY)
    email = get_object_or_404(_emails(), pk=email_id)
    data = _email_relations(payload.model_dump(exclude_unset=True))
    if email.status != EmailStatus.DRAFT:
        return Status(409, {"detail": "Only a draft can be edited: cancel the schedule first."})
    send_services.email_update(actor=actor, email=email, **data)
    return _emails().get(pk=email.pk)


@router.delete(
    "/emails/{int:email_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    tags=["emails"],
    summary="Delete a draft that was never sent",
)
def delete_email(request: HttpRequest, email_id: int) -> Any:
    actor = _marketer(request, EMAILS_ONLY)
    email = get_object_or_404(_emails(), pk=email_id)
    try:
        send_services.email_delete(actor=actor, email=email)
    except ValidationError as exc:
        return state_conflict(exc)
    return Status(204, None)


@router.post(
    "/emails/{int:email_id}/schedule",
    response={200: EmailOut, **ACTION_ERRORS},
    tags=["emails"],
    summary="Schedule a draft; its content is frozen now",
)
def schedule_email(request: HttpRequest, email_id: int, payload: ScheduleIn) -> Any:
    actor = _marketer(request, EMAILS_ONLY)
    email = get_object_or_404(_emails(), pk=email_id)
    if email.status != EmailStatus.DRAFT:
        return Status(409, {"detail": "Only a draft can be scheduled."})
    send_services.email_schedule(actor=actor, email=email, at=payload.scheduled_at)
    return _emails().get(pk=email.pk)


@router.post(
    "/emails/{int:email_id}/send",
    response={200: EmailOut, **ACTION_ERRORS},
    tags=["emails"],
    summary="Start sending a draft now (suppression, consent and the rate limit apply)",
)
def send_email_now(request: HttpRequest, email_id: int) -> Any:
    actor = _marketer(request, EMAILS_ONLY)
    email = get_object_or_404(_emails(), pk=email_id)
    if email.status != EmailStatus.DRAFT:
        return Status(409, {"detail": "Only a draft can be sent."})
    send_services.email_send_now(actor=actor, email=email)
    return _emails().get(pk=email.pk)


@router.post(
    "/emails/{int:email_id}/cancel",
    response={200: EmailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    tags=["emails"],
    summary="Cancel a schedule; the email is a draft again",
)
def cancel_email(request: HttpRequest, email_id: int) -> Any:
    actor = _marketer(request, EMAILS_ONLY)
    email = get_object_or_404(_emails(), pk=email_id)
    try:
        send_services.email_cancel(actor=actor, email=email)
    except ValidationError as exc:
        return state_conflict(exc)
    return _emails().get(pk=email.pk)


@router.post(
    "/emails/{int:email_id}/test",
    response={200: TestSendOut, **ERRORS},
    tags=["emails"],
    summary="Send one test message, marked [Test] and untracked",
)
def test_email(request: HttpRequest, email_id: int, payload: TestSendIn) -> Any:
    actor = _marketer(request, EMAILS_ONLY)
    email = get_object_or_404(_emails(), pk=email_id)
    contact = _contact(actor, payload.contact_id)
    send_services.email_send_test(actor=actor, email=email, to=payload.to, contact=contact)
    subject = email.template.subject if email.template and email.status == EmailStatus.DRAFT else ""
    return {"to": payload.to, "subject": f"[Test] {subject or email.subject}"}


@router.get(
    "/emails/{int:email_id}/stats",
    response={200: EmailStatsOut, 403: ErrorOut, 404: ErrorOut},
    tags=["emails"],
    summary="Sent, delivered, opens, clicks, bounces, unsubscribes and per-link clicks",
    description="Counted over every recipient: 403 for a sales rep or manager whose contact "
    "visibility is not 'all'.",
)
def email_stats(request: HttpRequest, email_id: int) -> Any:
    require_whole_audience(api_user(request))
    email = get_object_or_404(_emails(), pk=email_id)
    report = send_selectors.email_report(email)
    stats = report.stats
    return {
        "recipients": stats.recipients,
        "sent": stats.handed_over,
        "delivered": stats.delivered,
        "bounced": stats.bounced,
        "opened": stats.opened,
        "clicked": stats.clicked,
        "opens_total": report.opens_total,
        "clicks_total": report.clicks_total,
        "unsubscribed": report.unsubscribed,
        "complained": report.complained,
        "skipped": report.skipped,
        "failed": report.failed,
        "queued": report.queued,
        "open_rate": stats.open_rate,
        "click_rate": stats.click_rate,
        "bounce_rate": report.bounce_rate,
        "unsubscribe_rate": report.unsubscribe_rate,
        "leads_influenced": report.leads_influenced,
        "links": report.links,
    }


@router.get(
    "/emails/{int:email_id}/sends",
    response={200: list[SendOut], 404: ErrorOut},
    tags=["emails"],
    summary="One row per recipient: state, reason, opens and clicks (read only)",
)
@paginate(LimitOffset)
def list_sends(request: HttpRequest, email_id: int, filters: Query[SendFilters]) -> Any:
    email = get_object_or_404(_emails(), pk=email_id)
    rows = _of_visible_contacts(
        Send.objects.filter(email=email).select_related("contact"), api_user(request)
    )
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.q:
        rows = rows.filter(to_address__icontains=filters.q)
    return rows.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


# --- Sequences ----------------------------------------------------------------------------------

SEQUENCES_ONLY = "Only marketers and admins edit sequences."


def _sequences() -> QuerySet[Sequence]:
    return sequence_selectors.sequence_list_queryset().select_related("created_by")


@router.get("/sequences", response=list[SequenceOut], tags=["sequences"])
@paginate(LimitOffset)
def list_sequences(request: HttpRequest, filters: Query[SequenceFilters]) -> Any:
    rows = _sequences()
    if filters.q:
        rows = rows.filter(Q(name__icontains=filters.q) | Q(description__icontains=filters.q))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.trigger:
        rows = rows.filter(trigger=filters.trigger)
    return rows.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.post(
    "/sequences",
    response={201: SequenceOut, **ERRORS},
    tags=["sequences"],
    summary="Create a sequence (as a draft; activate it when its steps are ready)",
)
def create_sequence(request: HttpRequest, payload: SequenceIn) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    sequence = sequence_services.sequence_create(actor=actor, **payload.model_dump())
    return Status(201, _sequences().get(pk=sequence.pk))


@router.get(
    "/sequences/{int:sequence_id}", response={200: SequenceOut, 404: ErrorOut}, tags=["sequences"]
)
def get_sequence(request: HttpRequest, sequence_id: int) -> Any:
    return get_object_or_404(_sequences(), pk=sequence_id)


@router.patch(
    "/sequences/{int:sequence_id}", response={200: SequenceOut, **ERRORS}, tags=["sequences"]
)
def update_sequence(request: HttpRequest, sequence_id: int, payload: SequencePatch) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    sequence = get_object_or_404(Sequence.objects.all(), pk=sequence_id)
    sequence_services.sequence_update(
        actor=actor, sequence=sequence, **payload.model_dump(exclude_unset=True)
    )
    return _sequences().get(pk=sequence.pk)


@router.delete(
    "/sequences/{int:sequence_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["sequences"],
    summary="Delete a sequence, its steps and enrollments",
)
def delete_sequence(request: HttpRequest, sequence_id: int) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    sequence = get_object_or_404(Sequence.objects.all(), pk=sequence_id)
    sequence_services.sequence_delete(actor=actor, sequence=sequence)
    return Status(204, None)


def _set_status(request: HttpRequest, sequence_id: int, status: str) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    sequence = get_object_or_404(Sequence.objects.all(), pk=sequence_id)
    sequence_services.sequence_update(actor=actor, sequence=sequence, status=status)
    return _sequences().get(pk=sequence.pk)


@router.post(
    "/sequences/{int:sequence_id}/activate",
    response={200: SequenceOut, **ERRORS},
    tags=["sequences"],
    summary="Start enrolling and running contacts",
)
def activate_sequence(request: HttpRequest, sequence_id: int) -> Any:
    return _set_status(request, sequence_id, SequenceStatus.ACTIVE)


@router.post(
    "/sequences/{int:sequence_id}/pause",
    response={200: SequenceOut, **ERRORS},
    tags=["sequences"],
    summary="Hold every enrolled contact where it is",
)
def pause_sequence(request: HttpRequest, sequence_id: int) -> Any:
    return _set_status(request, sequence_id, SequenceStatus.PAUSED)


@router.get(
    "/sequences/{int:sequence_id}/steps",
    response={200: list[StepOut], 404: ErrorOut},
    tags=["sequences"],
    summary="The steps in order",
)
def list_steps(request: HttpRequest, sequence_id: int) -> Any:
    sequence = get_object_or_404(Sequence.objects.all(), pk=sequence_id)
    return SequenceStep.objects.filter(sequence=sequence).order_by("position", "pk")


@router.post(
    "/sequences/{int:sequence_id}/steps",
    response={201: StepOut, **ERRORS},
    tags=["sequences"],
    summary="Add a step at the end, or before `position`",
)
def add_step(request: HttpRequest, sequence_id: int, payload: StepIn) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    sequence = get_object_or_404(Sequence.objects.all(), pk=sequence_id)
    step = sequence_services.sequence_step_add(
        actor=actor, sequence=sequence, **payload.model_dump()
    )
    return Status(201, step)


def _step(sequence_id: int, step_id: int) -> SequenceStep:
    return get_object_or_404(
        SequenceStep.objects.select_related("sequence"), pk=step_id, sequence_id=sequence_id
    )


@router.get(
    "/sequences/{int:sequence_id}/steps/{int:step_id}",
    response={200: StepOut, 404: ErrorOut},
    tags=["sequences"],
)
def get_step(request: HttpRequest, sequence_id: int, step_id: int) -> Any:
    return _step(sequence_id, step_id)


@router.patch(
    "/sequences/{int:sequence_id}/steps/{int:step_id}",
    response={200: StepOut, **ERRORS},
    tags=["sequences"],
    summary="Replace a step's config (its kind stays)",
)
def update_step(request: HttpRequest, sequence_id: int, step_id: int, payload: StepPatch) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    step = _step(sequence_id, step_id)
    return sequence_services.sequence_step_update(actor=actor, step=step, **payload.model_dump())


@router.delete(
    "/sequences/{int:sequence_id}/steps/{int:step_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["sequences"],
    summary="Remove a step; contacts waiting at it go on with the next one",
)
def delete_step(request: HttpRequest, sequence_id: int, step_id: int) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    step = _step(sequence_id, step_id)
    sequence_services.sequence_step_remove(actor=actor, step=step)
    return Status(204, None)


@router.post(
    "/sequences/{int:sequence_id}/steps/{int:step_id}/move",
    response={200: list[StepOut], **ERRORS},
    tags=["sequences"],
    summary="Move a step one place up or down; returns the steps in their new order",
)
def move_step(request: HttpRequest, sequence_id: int, step_id: int, payload: StepMoveIn) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    step = _step(sequence_id, step_id)
    offset = -1 if payload.direction == "up" else 1
    sequence_services.sequence_step_move(actor=actor, step=step, offset=offset)
    return SequenceStep.objects.filter(sequence_id=sequence_id).order_by("position", "pk")


@router.get(
    "/sequences/{int:sequence_id}/enrollments",
    response={200: list[EnrollmentOut], 404: ErrorOut},
    tags=["sequences"],
)
@paginate(LimitOffset)
def list_enrollments(
    request: HttpRequest, sequence_id: int, filters: Query[EnrollmentFilters]
) -> Any:
    sequence = get_object_or_404(Sequence.objects.all(), pk=sequence_id)
    rows = _of_visible_contacts(
        Enrollment.objects.filter(sequence=sequence).select_related("contact"), api_user(request)
    )
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.contact_id is not None:
        rows = rows.filter(contact_id=filters.contact_id)
    return rows.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.post(
    "/sequences/{int:sequence_id}/enrollments",
    response={201: EnrollmentOut, **ACTION_ERRORS},
    tags=["sequences"],
    summary="Enrol a contact by hand (the sequence must be active)",
)
def enroll_contact(request: HttpRequest, sequence_id: int, payload: EnrollIn) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    sequence = get_object_or_404(Sequence.objects.all(), pk=sequence_id)
    contact = _contact(actor, payload.contact_id)
    assert contact is not None
    if sequence.status != SequenceStatus.ACTIVE:
        return Status(409, {"detail": "Only an active sequence takes new contacts."})
    enrollment = sequence_services.enrollment_add(actor=actor, sequence=sequence, contact=contact)
    return Status(201, enrollment)


@router.post(
    "/sequences/{int:sequence_id}/enrollments/{int:enrollment_id}/remove",
    response={200: EnrollmentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    tags=["sequences"],
    summary="Take a contact out of the sequence",
)
def unenroll_contact(request: HttpRequest, sequence_id: int, enrollment_id: int) -> Any:
    actor = _marketer(request, SEQUENCES_ONLY)
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("contact"), pk=enrollment_id, sequence_id=sequence_id
    )
    if not sequence_services.enrollment_remove(actor=actor, enrollment=enrollment):
        return Status(409, {"detail": "This contact had already left the sequence."})
    enrollment.refresh_from_db()
    return enrollment


# --- Contact imports ------------------------------------------------------------------------------


def _importer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.can_edit_people(user), "You cannot work with contacts.")
    return user


def _imports() -> QuerySet[ContactImport]:
    return ContactImport.objects.select_related("created_by")


@router.get("/imports", response={200: list[ImportOut], 403: ErrorOut}, tags=["imports"])
@paginate(LimitOffset)
def list_imports(request: HttpRequest, filters: Query[ImportFilters]) -> Any:
    _importer(request)
    rows = _imports()
    if filters.q:
        rows = rows.filter(file_name__icontains=filters.q)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    return rows.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.post(
    "/imports",
    response={201: ImportOut, **ERRORS},
    tags=["imports"],
    summary="Upload a CSV as text; the response suggests a column mapping",
)
def create_import(request: HttpRequest, payload: ImportIn) -> Any:
    actor = _importer(request)
    name = payload.file_name or "upload.csv"
    if not name.lower().endswith(".csv"):
        raise ValidationError({"file_name": "Name the file .csv: the API takes CSV text."})
    imp = import_services.contact_import_create(
        actor=actor,
        kind=payload.kind,
        file_name=name,
        source=io.BytesIO(payload.csv.encode("utf-8")),
    )
    return Status(201, _imports().get(pk=imp.pk))


@router.get(
    "/imports/{int:import_id}",
    response={200: ImportOut, 403: ErrorOut, 404: ErrorOut},
    tags=["imports"],
    summary="Status, counts and the first bad rows",
)
def get_import(request: HttpRequest, import_id: int) -> Any:
    _importer(request)
    return get_object_or_404(_imports(), pk=import_id)


@router.post(
    "/imports/{int:import_id}/configure",
    response={200: ImportOut, **ACTION_ERRORS},
    tags=["imports"],
    summary="Save the mapping and options, and start the dry run",
)
def configure_import(request: HttpRequest, import_id: int, payload: ImportConfigureIn) -> Any:
    actor = _importer(request)
    imp = get_object_or_404(_imports(), pk=import_id)
    permissions.require(import_services.can_change_import(actor, imp))
    if imp.status not in import_services.CONFIGURABLE:
        return Status(409, {"detail": f"This import is {imp.get_status_display().lower()}."})
    import_services.contact_import_configure(
        actor=actor, contact_import=imp, **payload.model_dump()
    )
    return _imports().get(pk=imp.pk)


@router.post(
    "/imports/{int:import_id}/start",
    response={200: ImportOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    tags=["imports"],
    summary="Write the rows, after a dry run",
)
def start_import(request: HttpRequest, import_id: int) -> Any:
    actor = _importer(request)
    imp = get_object_or_404(_imports(), pk=import_id)
    try:
        import_services.contact_import_start(actor=actor, contact_import=imp)
    except ValidationError as exc:
        return state_conflict(exc)
    return _imports().get(pk=imp.pk)


@router.post(
    "/imports/{int:import_id}/cancel",
    response={200: ImportOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    tags=["imports"],
    summary="Stop the import; chunks already written stay",
)
def cancel_import(request: HttpRequest, import_id: int) -> Any:
    actor = _importer(request)
    imp = get_object_or_404(_imports(), pk=import_id)
    try:
        import_services.contact_import_cancel(actor=actor, contact_import=imp)
    except ValidationError as exc:
        return state_conflict(exc)
    return _imports().get(pk=imp.pk)


@router.get(
    "/imports/{int:import_id}/bad-rows",
    response={200: list[BadRowOut], 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    tags=["imports"],
    summary="Every bad row of a checked import: line, reason and the cells as uploaded",
)
def import_bad_rows(request: HttpRequest, import_id: int) -> Any:
    _importer(request)
    imp = get_object_or_404(_imports(), pk=import_id)
    if imp.status in (ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.CHECKING):
        return Status(409, {"detail": "The dry run has not finished yet."})
    if not imp.rows_bad:
        return []
    try:
        rows = import_services.contact_import_bad_rows(imp=imp)
        return [
            {"line": line, "reason": reason, "cells": [str(c) for c in cells]}
            for line, reason, cells in itertools.islice(rows, MAX_BAD_ROWS)
        ]
    except (parsing.ImportFileError, OSError) as exc:
        return Status(409, {"detail": f"The uploaded file cannot be read again: {exc}"})
