"""Experiments: create and edit them, start and stop them, and record who saw which variant and
who reached the goal after it.

Exposures and conversions are written only while an experiment runs. Each is also a touchpoint
(EXPERIMENT_EXPOSURE / EXPERIMENT_CONVERSION) on the person's timeline; these touchpoints never
carry a campaign, channel, creative or content item, so attribution, ROI and the funnel
breakdowns (which credit only touches with such a key) never credit an experiment.

The hooks at the end are what the landing pages and the email delivery call: one each.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.content.models import LandingPage
from revline.core import permissions
from revline.core.models import User
from revline.email.models import Email, EmailStatus
from revline.people.models import Contact
from revline.tracking.models import Touchpoint, TouchpointKind, Visitor
from revline.tracking.services import touchpoint_record

from .assignment import Arm, assign, contact_key, visitor_key
from .models import (
    Experiment,
    ExperimentGoal,
    ExperimentKind,
    ExperimentStatus,
    Exposure,
    Variant,
)

MIN_VARIANTS = 2
MAX_VARIANTS = 5
MAX_WEIGHT = 1000
MIN_ALPHA, MAX_ALPHA = 0.001, 0.2
PRE_PERIOD = timedelta(days=30)
VARIANT_KEYS = ("a", "b", "c", "d", "e")
MANAGE_ONLY = "Only marketers and admins manage experiments."

GOALS: dict[str, tuple[str, ...]] = {
    ExperimentKind.CTA_LABEL: (ExperimentGoal.FORM_SUBMISSION,),
    ExperimentKind.LANDING_PAGE: (ExperimentGoal.FORM_SUBMISSION,),
    ExperimentKind.EMAIL_SUBJECT: (ExperimentGoal.EMAIL_OPEN, ExperimentGoal.EMAIL_CLICK),
}
PAGE_KINDS = (ExperimentKind.CTA_LABEL, ExperimentKind.LANDING_PAGE)
# Emails that will still send messages: an experiment on one that is done would see nobody.
EMAIL_OPEN_STATES = (EmailStatus.DRAFT, EmailStatus.SCHEDULED, EmailStatus.SENDING)


@dataclass(frozen=True)
class VariantSpec:
    """One variant as entered; only the field of the experiment's kind is kept."""

    name: str
    weight: int = 1
    is_control: bool = False
    cta_label: str = ""
    landing_page: LandingPage | None = None
    subject: str = ""


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    kind: str
    goal: str
    hypothesis: str = ""
    landing_page: LandingPage | None = None
    email: Email | None = None
    alpha: float = 0.05
    variants: Sequence[VariantSpec] = field(default_factory=tuple)


def _require_manager(actor: User) -> None:
    permissions.require(permissions.can_manage_marketing(actor), MANAGE_ONLY)


# --- Validation ---------------------------------------------------------------------------------


def _target_errors(spec: ExperimentSpec, errors: dict[str, list[str]]) -> None:
    if spec.kind in PAGE_KINDS:
        page = spec.landing_page
        if page is None:
            errors.setdefault("landing_page", []).append("Choose the landing page to test.")
        elif not page.is_published:
            errors.setdefault("landing_page", []).append(
                "The page is a draft: publish it before testing it."
            )
    elif spec.kind == ExperimentKind.EMAIL_SUBJECT:
        email = spec.email
        if email is None:
            errors.setdefault("email", []).append("Choose the email to test.")
        elif email.status not in EMAIL_OPEN_STATES:
            errors.setdefault("email", []).append(
                f"The email is {email.get_status_display().lower()}: it sends nothing more."
            )


def _variant_errors(spec: ExperimentSpec, errors: dict[str, list[str]]) -> None:
    variants = spec.variants
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        errors.setdefault("variants", []).append(
            f"An experiment has {MIN_VARIANTS} to {MAX_VARIANTS} variants: a control and "
            "at least one more."
        )
    controls = sum(1 for v in variants if v.is_control)
    if variants and controls != 1:
        errors.setdefault("variants", []).append("Exactly one variant must be the control.")
    names: set[str] = set()
    pages: set[int] = set()
    for number, variant in enumerate(variants, start=1):

        def add(name: str, message: str, number: int = number) -> None:
            errors.setdefault(f"variants.{number - 1}.{name}", []).append(message)

        name = variant.name.strip()
        if not name:
            add("name", "Give the variant a name.")
        elif len(name) > 100:
            add("name", "Keep the name to 100 characters.")
        elif name.lower() in names:
            add("name", "Another variant has this name.")
        names.add(name.lower())
        if not 1 <= variant.weight <= MAX_WEIGHT:
            add("weight", f"The weight is a whole number from 1 to {MAX_WEIGHT}.")
        if spec.kind == ExperimentKind.CTA_LABEL:
            label = variant.cta_label.strip()
            if not label:
                add("cta_label", "Enter the button label this variant shows.")
            elif len(label) > 60:
                add("cta_label", "Keep the label to 60 characters.")
        elif spec.kind == ExperimentKind.EMAIL_SUBJECT:
            subject = variant.subject.strip()
            if not subject:
                add("subject", "Enter the subject line this variant sends.")
            elif len(subject) > 300:
                add("subject", "Keep the subject to 300 characters.")
            elif "\n" in subject or "\r" in subject:
                add("subject", "A subject is one line.")
        elif spec.kind == ExperimentKind.LANDING_PAGE and not variant.is_control:
            page = variant.landing_page
            if page is None:
                add("landing_page", "Choose the page this variant shows.")
            elif not page.is_published:
                add("landing_page", "That page is a draft: publish it first.")
            elif spec.landing_page is not None and page.pk == spec.landing_page.pk:
                add("landing_page", "The tested page itself is the control; choose another page.")
            elif page.pk in pages:
                add("landing_page", "Another variant shows this page.")
            else:
                pages.add(page.pk)


def experiment_validate(spec: ExperimentSpec) -> None:
    """Raise ValidationError naming every problem of `spec` (keys: the experiment's fields,
    "variants" for the set, "variants.<index>.<field>" for one variant's field)."""
    errors: dict[str, list[str]] = {}
    if not spec.name.strip():
        errors["name"] = ["Give the experiment a name."]
    elif len(spec.name.strip()) > 200:
        errors["name"] = ["Keep the name to 200 characters."]
    if spec.kind not in GOALS:
        errors["kind"] = ["Choose what the experiment tests."]
    elif spec.goal not in GOALS[spec.kind]:
        allowed = " or ".join(str(ExperimentGoal(g).label).lower() for g in GOALS[spec.kind])
        errors["goal"] = [f"A {ExperimentKind(spec.kind).label} test's goal is: {allowed}."]
    if not MIN_ALPHA <= spec.alpha <= MAX_ALPHA:
        errors["alpha"] = [f"The significance level is between {MIN_ALPHA} and {MAX_ALPHA}."]
    if spec.kind in GOALS:
        _target_errors(spec, errors)
        _variant_errors(spec, errors)
    if errors:
        raise ValidationError(errors)


# --- Writes -------------------------------------------------------------------------------------


def _variants_write(experiment: Experiment, specs: Sequence[VariantSpec]) -> None:
    # Controls first, so the control is always variant "a" and listed first.
    ordered = sorted(specs, key=lambda v: not v.is_control)
    Variant.objects.bulk_create(
        [
            Variant(
                experiment=experiment,
                key=VARIANT_KEYS[position],
                name=spec.name.strip(),
                weight=spec.weight,
                is_control=spec.is_control,
                position=position,
                cta_label=spec.cta_label.strip()
                if experiment.kind == ExperimentKind.CTA_LABEL
                else "",
                subject=spec.subject.strip()
                if experiment.kind == ExperimentKind.EMAIL_SUBJECT
                else "",
                landing_page=spec.landing_page
                if experiment.kind == ExperimentKind.LANDING_PAGE and not spec.is_control
                else None,
            )
            for position, spec in enumerate(ordered)
        ]
    )


def _apply(experiment: Experiment, spec: ExperimentSpec) -> None:
    experiment.name = spec.name.strip()
    experiment.kind = spec.kind
    experiment.goal = spec.goal
    experiment.hypothesis = spec.hypothesis.strip()
    experiment.alpha = spec.alpha
    page_kind = spec.kind in PAGE_KINDS
    experiment.landing_page = spec.landing_page if page_kind else None
    experiment.email = spec.email if spec.kind == ExperimentKind.EMAIL_SUBJECT else None


def experiment_create(*, actor: User, spec: ExperimentSpec) -> Experiment:
    """A draft experiment with its variants; nothing is written when `spec` has a problem."""
    _require_manager(actor)
    experiment_validate(spec)
    with transaction.atomic():
        experiment = Experiment(salt=secrets.token_hex(8), created_by=actor)
        _apply(experiment, spec)
        experiment.save()
        _variants_write(experiment, spec.variants)
        audit_create(actor=actor, obj=experiment)
    return experiment


def experiment_update(*, actor: User, experiment: Experiment, spec: ExperimentSpec) -> Experiment:
    """Edit a draft entirely. Once started only the name and the hypothesis may change: anything
    else would mix two different tests in one result."""
    _require_manager(actor)
    if experiment.status != ExperimentStatus.DRAFT:
        stored = Experiment.objects.get(pk=experiment.pk)
        changed = (
            spec.kind != stored.kind
            or spec.goal != stored.goal
            or spec.alpha != stored.alpha
            or (spec.landing_page.pk if spec.landing_page else None) != stored.landing_page_id
            or (spec.email.pk if spec.email else None) != stored.email_id
            or bool(spec.variants)
        )
        if changed:
            raise ValidationError(
                "Only the name and the hypothesis can change once the experiment has started."
            )
        name = spec.name.strip()
        if not name or len(name) > 200:
            raise ValidationError(
                {"name": ["Give the experiment a name (200 characters at most)."]}
            )
        with transaction.atomic():
            before = snapshot(stored)
            Experiment.objects.filter(pk=experiment.pk).update(
                name=name, hypothesis=spec.hypothesis.strip()
            )
            experiment.refresh_from_db()
            audit_update(actor=actor, obj=experiment, before=before)
        return experiment
    experiment_validate(spec)
    with transaction.atomic():
        locked = Experiment.objects.select_for_update(of=("self",)).get(pk=experiment.pk)
        if locked.status != ExperimentStatus.DRAFT:
            raise ValidationError("The experiment was started meanwhile; reload the page.")
        before = snapshot(locked)
        variants_before = _variants_summary(locked)
        _apply(locked, spec)
        locked.save()
        locked.variants.all().delete()
        _variants_write(locked, spec.variants)
        variants_after = _variants_summary(locked)
        extra = {"variants": [variants_before, variants_after]}
        audit_update(
            actor=actor,
            obj=locked,
            before=before,
            extra=extra if variants_before != variants_after else None,
        )
    experiment.refresh_from_db()
    return experiment


def _variants_summary(experiment: Experiment) -> list[list[object]]:
    return [
        [v.key, v.name, v.weight, v.is_control, v.cta_label, v.subject, v.landing_page_id]
        for v in experiment.variants.order_by("position", "pk")
    ]


@transaction.atomic
def experiment_delete(*, actor: User, experiment: Experiment) -> None:
    """Delete a draft. A started experiment has exposures (people's history): it is stopped,
    not deleted."""
    _require_manager(actor)
    locked = Experiment.objects.select_for_update(of=("self",)).get(pk=experiment.pk)
    if locked.status != ExperimentStatus.DRAFT or locked.exposures.exists():
        raise ValidationError(
            {"status": "Only a draft experiment is deleted; stop a started one instead."}
        )
    audit_delete(actor=actor, obj=locked)
    locked.delete()


def experiment_spec(experiment: Experiment) -> ExperimentSpec:
    """The spec the experiment was saved with (what editing starts from)."""
    return ExperimentSpec(
        name=experiment.name,
        kind=experiment.kind,
        goal=experiment.goal,
        hypothesis=experiment.hypothesis,
        landing_page=experiment.landing_page,
        email=experiment.email,
        alpha=experiment.alpha,
        variants=[
            VariantSpec(
                name=v.name,
                weight=v.weight,
                is_control=v.is_control,
                cta_label=v.cta_label,
                landing_page=v.landing_page,
                subject=v.subject,
            )
            for v in experiment.variants.select_related("landing_page")
        ],
    )


def experiment_start(
    *, actor: User, experiment: Experiment, now: datetime | None = None
) -> Experiment:
    """Draft -> running. Checked again as it starts (a page may have been unpublished since);
    only one experiment runs on a landing page or an email at a time."""
    _require_manager(actor)
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Experiment.objects.select_for_update(of=("self",))
            .select_related("landing_page", "email")
            .get(pk=experiment.pk)
        )
        if locked.status != ExperimentStatus.DRAFT:
            raise ValidationError(
                f"The experiment is {locked.get_status_display().lower()}; only a draft starts."
            )
        experiment_validate(experiment_spec(locked))
        running = Experiment.objects.filter(status=ExperimentStatus.RUNNING).exclude(pk=locked.pk)
        if locked.landing_page is not None:
            other = running.filter(landing_page=locked.landing_page).first()
        else:
            other = running.filter(email=locked.email).first()
        if other is not None:
            raise ValidationError(
                f"“{other.name}” is already running on this "
                f"{'page' if locked.landing_page_id else 'email'}; stop it first."
            )
        before = snapshot(locked, fields=("status", "started_at"))
        locked.status = ExperimentStatus.RUNNING
        locked.started_at = now
        locked.save(update_fields=["status", "started_at"])
        audit_update(actor=actor, obj=locked, before=before)
    experiment.refresh_from_db()
    return experiment


def experiment_stop(
    *, actor: User, experiment: Experiment, now: datetime | None = None
) -> Experiment:
    """Running -> stopped: from now on nobody is assigned and nothing more is recorded."""
    _require_manager(actor)
    now = now or timezone.now()
    with transaction.atomic():
        before = {"status": ExperimentStatus.RUNNING.value, "stopped_at": None}
        stopped = Experiment.objects.filter(
            pk=experiment.pk, status=ExperimentStatus.RUNNING
        ).update(status=ExperimentStatus.STOPPED, stopped_at=now)
        experiment.refresh_from_db()
        if not stopped:
            raise ValidationError(
                f"The experiment is {experiment.get_status_display().lower()}; "
                "only a running one stops."
            )
        audit_update(actor=actor, obj=experiment, before=before)
    return experiment


# --- Exposures and conversions ------------------------------------------------------------------


def variant_for(experiment: Experiment, subject_key: str) -> Variant:
    """The subject's variant (pure hashing over the experiment's variants, in their order)."""
    variants = list(experiment.variants.all())
    key = assign(
        salt=experiment.salt,
        subject_key=subject_key,
        arms=[Arm(key=v.key, weight=v.weight) for v in variants],
    )
    return next(v for v in variants if v.key == key)


def _pre_period_touches(*, visitor: Visitor | None, contact: Contact | None, now: datetime) -> int:
    who = Q()
    if visitor is not None:
        who |= Q(visitor=visitor)
    if contact is not None:
        who |= Q(contact=contact)
    if not who:
        return 0
    return Touchpoint.objects.filter(
        who, occurred_at__gte=now - PRE_PERIOD, occurred_at__lt=now
    ).count()


def touchpoint_params(
    *, experiment: Experiment, variant: Variant, goal: str | None = None
) -> dict[str, object]:
    """The params of an exposure touchpoint, or with `goal` of a conversion touchpoint."""
    # The names ride along so the contact's timeline can word the touch without a lookup.
    params: dict[str, object] = {
        "experiment": experiment.pk,
        "test": experiment.name,
        "variant": variant.key,
        "variant_name": variant.name,
    }
    if goal is not None:
        params["goal"] = goal
    return params


def _touch(
    kind: str, exposure: Exposure, variant: Variant, now: datetime, goal: str | None = None
) -> None:
    touchpoint_record(
        kind=kind,
        visitor=exposure.visitor,
        contact=exposure.contact,
        occurred_at=now,
        params=touchpoint_params(experiment=exposure.experiment, variant=variant, goal=goal),
    )


def exposure_record(
    *,
    experiment: Experiment,
    subject_key: str,
    visitor: Visitor | None,
    contact: Contact | None,
    now: datetime | None = None,
) -> Exposure | None:
    """The subject's exposure: written (with its touchpoint and pre-period count) the first time,
    returned unchanged after that. None when the experiment is not running."""
    if experiment.status != ExperimentStatus.RUNNING:
        return None
    now = now or timezone.now()
    existing = Exposure.objects.filter(experiment=experiment, subject_key=subject_key).first()
    if existing is not None:
        return existing
    if contact is None and visitor is not None:
        contact = visitor.contact
    variant = variant_for(experiment, subject_key)
    try:
        with transaction.atomic():
            exposure = Exposure.objects.create(
                experiment=experiment,
                variant=variant,
                subject_key=subject_key,
                visitor=visitor,
                contact=contact,
                exposed_at=now,
                pre_period_touches=_pre_period_touches(visitor=visitor, contact=contact, now=now),
            )
            _touch(TouchpointKind.EXPERIMENT_EXPOSURE, exposure, variant, now)
    except IntegrityError:  # the same subject, recorded by a request running at the same time
        return Exposure.objects.get(experiment=experiment, subject_key=subject_key)
    return exposure


def conversion_record(
    *, experiment: Experiment, subject_key: str, now: datetime | None = None
) -> bool:
    """Mark the subject's exposure converted (once, and only at or after the exposure), with a
    touchpoint. False, and nothing written, when the experiment is not running, the subject was
    never exposed, or has converted already."""
    if experiment.status != ExperimentStatus.RUNNING:
        return False
    now = now or timezone.now()
    with transaction.atomic():
        marked = Exposure.objects.filter(
            experiment=experiment,
            subject_key=subject_key,
            converted_at__isnull=True,
            exposed_at__lte=now,
        ).update(converted_at=now)
        if not marked:
            return False
        exposure = Exposure.objects.select_related("variant", "visitor", "contact").get(
            experiment=experiment, subject_key=subject_key
        )
        _touch(
            TouchpointKind.EXPERIMENT_CONVERSION,
            exposure,
            exposure.variant,
            now,
            goal=experiment.goal,
        )
    return True


# --- Hooks: landing pages -----------------------------------------------------------------------


def _running_on_page(page: LandingPage) -> Experiment | None:
    return (
        Experiment.objects.filter(landing_page=page, status=ExperimentStatus.RUNNING)
        .prefetch_related("variants__landing_page__form")
        .first()
    )


def _page_with_label(page: LandingPage, label: str) -> LandingPage:
    """An unsaved copy of the page whose every call to action reads `label`: the classic
    form's button, the Button blocks and the builder form's submit button."""
    shown = copy.copy(page)
    shown.cta_label = label
    if isinstance(page.blocks, list):
        shown.blocks = [
            {**block, "label": label}
            if isinstance(block, dict) and block.get("type") == "cta"
            else block
            for block in page.blocks
        ]
    if page.form is not None:
        form = copy.copy(page.form)
        form.submit_label = label
        shown.form = form
    return shown


def landing_page_serve(
    *,
    page: LandingPage,
    visitor_id: uuid.UUID | None,
    record: bool,
    now: datetime | None = None,
) -> LandingPage:
    """The page to show this visitor at `page`'s address: `page` itself, or with a running
    experiment the visitor's variant (a copy of `page` with the variant's button label, or the
    variant's own page). With `record`, the visitor's exposure is recorded too. Never saved."""
    if visitor_id is None:
        return page
    experiment = _running_on_page(page)
    if experiment is None:
        return page
    subject_key = visitor_key(visitor_id)
    if record:
        visitor = Visitor.objects.select_related("contact").filter(pk=visitor_id).first()
        exposure = exposure_record(
            experiment=experiment,
            subject_key=subject_key,
            visitor=visitor,
            contact=visitor.contact if visitor else None,
            now=now,
        )
        variant = exposure.variant if exposure is not None else variant_for(experiment, subject_key)
    else:
        variant = variant_for(experiment, subject_key)
    if experiment.kind == ExperimentKind.CTA_LABEL and variant.cta_label:
        return _page_with_label(page, variant.cta_label)
    shown = variant.landing_page
    # A variant page unpublished since the start is not shown any more; the tested page is.
    if experiment.kind == ExperimentKind.LANDING_PAGE and shown is not None and shown.is_published:
        return shown
    return page


def landing_page_converted(
    *, page: LandingPage, visitor_id: uuid.UUID | None, now: datetime | None = None
) -> bool:
    """A form on `page` was submitted by the visitor: their conversion, if they were exposed to
    an experiment running there with that goal."""
    if visitor_id is None:
        return False
    experiment = Experiment.objects.filter(
        landing_page=page, status=ExperimentStatus.RUNNING, goal=ExperimentGoal.FORM_SUBMISSION
    ).first()
    if experiment is None:
        return False
    return conversion_record(experiment=experiment, subject_key=visitor_key(visitor_id), now=now)


# --- Hooks: email -------------------------------------------------------------------------------


@dataclass
class SubjectSplit:
    """A running subject-line experiment of one email, for its delivery: which subject each
    contact gets (pure hashing), and recording the exposures of the messages sent."""

    experiment: Experiment
    variants: list[Variant]
    arms: list[Arm]

    @property
    def subjects(self) -> dict[str, str]:
        """Variant key -> subject."""
        return {v.key: v.subject for v in self.variants}

    def key_for(self, contact_id: int) -> str:
        return assign(
            salt=self.experiment.salt, subject_key=contact_key(contact_id), arms=self.arms
        )

    def sent(self, contact_ids: Sequence[int], now: datetime | None = None) -> int:
        """Exposures of the contacts whose message the server accepted; returns how many were
        new. Contacts exposed before (a re-sent chunk) are left as they are."""
        return email_exposures_record(
            experiment=self.experiment, contact_ids=contact_ids, now=now or timezone.now()
        )


def email_subject_split(*, email: Email) -> SubjectSplit | None:
    """The email's running subject experiment, or None (then every message keeps its subject)."""
    experiment = (
        Experiment.objects.filter(
            email=email, kind=ExperimentKind.EMAIL_SUBJECT, status=ExperimentStatus.RUNNING
        )
        .prefetch_related("variants")
        .first()
    )
    if experiment is None:
        return None
    variants = list(experiment.variants.all())
    return SubjectSplit(
        experiment=experiment,
        variants=variants,
        arms=[Arm(key=v.key, weight=v.weight) for v in variants],
    )


def email_exposures_record(
    *, experiment: Experiment, contact_ids: Sequence[int], now: datetime
) -> int:
    """exposure_record for many contacts at once (a delivery chunk): three queries and one
    touchpoint per new exposure."""
    if experiment.status != ExperimentStatus.RUNNING or not contact_ids:
        return 0
    keys = {contact_key(pk): pk for pk in contact_ids}
    seen = set(
        Exposure.objects.filter(experiment=experiment, subject_key__in=keys).values_list(
            "subject_key", flat=True
        )
    )
    fresh = [pk for key, pk in keys.items() if key not in seen]
    if not fresh:
        return 0
    contacts = Contact.objects.in_bulk(fresh)
    touches = dict(
        Touchpoint.objects.filter(
            contact_id__in=fresh, occurred_at__gte=now - PRE_PERIOD, occurred_at__lt=now
        )
        .values("contact_id")
        .annotate(n=Count("pk"))
        .values_list("contact_id", "n")
    )
    variants = {v.key: v for v in experiment.variants.all()}
    arms = [Arm(key=v.key, weight=v.weight) for v in variants.values()]
    written = 0
    for pk in fresh:
        contact = contacts.get(pk)
        if contact is None:
            continue
        key = contact_key(pk)
        variant = variants[assign(salt=experiment.salt, subject_key=key, arms=arms)]
        try:
            with transaction.atomic():
                exposure = Exposure.objects.create(
                    experiment=experiment,
                    variant=variant,
                    subject_key=key,
                    contact=contact,
                    exposed_at=now,
                    pre_period_touches=touches.get(pk, 0),
                )
                _touch(TouchpointKind.EXPERIMENT_EXPOSURE, exposure, variant, now)
        except IntegrityError:
            continue
        written += 1
    return written


def email_goal_record(
    *, email_id: int, contact_id: int, clicked: bool, now: datetime | None = None
) -> bool:
    """An open (or, with `clicked`, a click, which proves an open too) of the email by the
    contact: the conversion of a running subject experiment on it whose goal this meets."""
    goals = [ExperimentGoal.EMAIL_OPEN] + ([ExperimentGoal.EMAIL_CLICK] if clicked else [])
    experiment = Experiment.objects.filter(
        email_id=email_id, status=ExperimentStatus.RUNNING, goal__in=goals
    ).first()
    if experiment is None:
        return False
    return conversion_record(experiment=experiment, subject_key=contact_key(contact_id), now=now)
