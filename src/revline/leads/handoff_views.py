from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.people.models import Contact

from . import handoff_selectors as selectors
from . import handoff_services as services
from .handoff_forms import (
    AcceptForm,
    ContactMoveForm,
    LeadSettingsForm,
    QueueFilterForm,
    ReassignForm,
    RejectForm,
    RoutingRuleForm,
)
from .models import Handoff, HandoffStatus, RoutingRule
from .selectors import lead_settings_get

QUEUE_COLUMNS = [
    Column("contact", "Contact", "contact__last_name"),
    Column("company", "Company", "contact__company__name"),
    Column("why", "Why qualified"),
    Column("score", "Score", "contact__engagement_score"),
    Column("rep", "Rep", "assigned_to__first_name"),
    Column("qualified", "Qualified", "qualified_at"),
    Column("due", "SLA", "due_at"),
]
QUEUE_SEARCH = [
    "contact__first_name",
    "contact__last_name",
    "contact__email",
    "contact__company__name",
    "qualification_reason",
]
TABS = [
    (HandoffStatus.OPEN, "Open"),
    (HandoffStatus.ACCEPTED, "Accepted"),
    (HandoffStatus.REJECTED, "Rejected"),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = request.GET.get("status", HandoffStatus.OPEN)
    if status not in HandoffStatus.values:
        status = HandoffStatus.OPEN
    visible = selectors.handoffs_visible_to(user)
    reps = selectors.queue_reps(user)
    filter_form = QueueFilterForm(request.GET or None, reps=reps)
    rep = filter_form.cleaned_data.get("rep") if filter_form.is_valid() else None
    scoped = visible.filter(assigned_to=rep) if rep else visible
    listing = build_listing(
        request,
        scoped.filter(status=status),
        columns=QUEUE_COLUMNS,
        search_fields=QUEUE_SEARCH,
        default_sort="due" if status == HandoffStatus.OPEN else "-qualified",
    )
    context = {
        "listing": listing,
        "rows": selectors.queue_rows(listing.page, now=timezone.now()),
        "status": status,
        "tabs": [
            (value, label, listing.url_with(status=value, page=None)) for value, label in TABS
        ],
        "counts": selectors.queue_counts(scoped),
        "filter_form": filter_form,
        "show_rep_filter": reps.exists(),
        "filtered": bool(listing.query or rep),
        "can_configure": services.can_view_lead_settings(user),
    }
    return render(request, "leads/handoff_queue.html", context)


def _visible_or_404(request: HttpRequest, pk: int) -> Handoff:
    return get_object_or_404(selectors.handoffs_visible_to(_user(request)), pk=pk)


def _render_handoff(
    request: HttpRequest, handoff: Handoff, *, status: int = 200, **bound: Any
) -> HttpResponse:
    user = _user(request)
    candidates = selectors.reassign_candidates(user=user, handoff=handoff)
    context = {
        "handoff": handoff,
        "page": selectors.handoff_page(handoff=handoff, user=user, now=timezone.now()),
        "accept_form": bound.get("accept_form")
        or AcceptForm(initial={"create_deal": True, "amount": 0}),
        "reject_form": bound.get("reject_form") or RejectForm(),
        "reassign_form": bound.get("reassign_form") or ReassignForm(candidates=candidates),
        "action_error": bound.get("action_error", ""),
    }
    return render(request, "leads/handoff_detail.html", context, status=status)


@login_required
@require_GET
def handoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_handoff(request, _visible_or_404(request, pk))


def _decidable(request: HttpRequest, pk: int) -> Handoff:
    handoff = _visible_or_404(request, pk)
    permissions.require(
        services.can_decide_handoff(_user(request), handoff), services.NOT_PERMITTED
    )
    return handoff


def _refused(request: HttpRequest, handoff: Handoff, exc: ValidationError) -> HttpResponse:
    """A decision on a hand-off someone already decided: say so, change nothing."""
    message = " ".join(exc.messages)
    handoff.refresh_from_db()
    return _render_handoff(request, handoff, status=409, action_error=message)


@login_required
@require_POST
def handoff_accept(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = _decidable(request, pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            handoff = services.handoff_accept(
                actor=_user(request),
                handoff=handoff,
                create_deal=data["create_deal"],
                deal_name=data["deal_name"],
                amount=data["amount"] or Decimal("0"),
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                return _refused(request, handoff, exc)
            add_service_errors(form, exc)
        else:
            if handoff.deal_id:
                messages.success(request, f"Accepted {handoff.contact}; the deal is open.")
                return redirect("sales:deal", pk=handoff.deal_id)
            messages.success(request, f"Accepted {handoff.contact}: now a sales-accepted lead.")
            return redirect("leads:handoff", pk=handoff.pk)
    return _render_handoff(request, handoff, status=400, accept_form=form)


@login_required
@require_POST
def handoff_reject(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = _decidable(request, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.handoff_reject(
                actor=_user(request),
                handoff=handoff,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                return _refused(request, handoff, exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Rejected {handoff.contact}: back to marketing.")
            return redirect("leads:queue")
    return _render_handoff(request, handoff, status=400, reject_form=form)


@login_required
@require_POST
def handoff_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = _visible_or_404(request, pk)
    user = _user(request)
    permissions.require(
        services.can_reassign_handoff(user, handoff),
        "Only the rep's sales manager or an admin can reassign this hand-off.",
    )
    form = ReassignForm(
        request.POST, candidates=selectors.reassign_candidates(user=user, handoff=handoff)
    )
    if form.is_valid():
        try:
            services.handoff_reassign(
                actor=user, handoff=handoff, assignee=form.cleaned_data["assignee"]
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                return _refused(request, handoff, exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Reassigned to {form.cleaned_data['assignee']}.")
            return redirect("leads:handoff", pk=handoff.pk)
    return _render_handoff(request, handoff, status=400, reassign_form=form)


# ---- contact panel -----------------------------------------------------------------------------


@login_required
@require_GET
def contact_handoff_panel(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("company"), pk=pk)
    context = {
        "contact": contact,
        "panel": selectors.contact_handoff_panel(
            contact=contact, user=_user(request), now=timezone.now()
        ),
        "move_form": ContactMoveForm(prefix="move", initial={"next": request.GET.get("next", "")}),
    }
    return render(request, "leads/handoff_contact_panel.html", context)


def _back_to_contact(request: HttpRequest, contact: Contact) -> HttpResponse:
    target = request.POST.get("move-next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("people:contact", pk=contact.pk)


def _contact_move(request: HttpRequest, pk: int, *, disqualify: bool) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    user = _user(request)
    permissions.require(
        services.can_recycle_contact(user, contact),
        "Only marketers, sales managers, admins and the contact's owner can do that.",
    )
    form = ContactMoveForm(request.POST, prefix="move")
    if form.is_valid():
        move = services.contact_disqualify if disqualify else services.contact_recycle
        try:
            move(
                actor=user,
                contact=contact,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            done = "disqualified" if disqualify else "sent back to marketing (recycled)"
            messages.success(request, f"{contact} was {done}.")
        return _back_to_contact(request, contact)
    errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
    messages.error(request, f"Nothing changed: {errors}")
    return _back_to_contact(request, contact)


@login_required
@require_POST
def contact_recycle(request: HttpRequest, pk: int) -> HttpResponse:
    return _contact_move(request, pk, disqualify=False)


@login_required
@require_POST
def contact_disqualify(request: HttpRequest, pk: int) -> HttpResponse:
    return _contact_move(request, pk, disqualify=True)


# ---- settings: routing rules and lead settings -------------------------------------------------


def _require_view_settings(request: HttpRequest) -> None:
    permissions.require(
        services.can_view_lead_settings(_user(request)),
        "Only admins, marketers and sales managers see the routing settings.",
    )


def _require_configure(request: HttpRequest) -> None:
    permissions.require(
        services.can_configure_leads(_user(request)),
        "Only admins and marketers change routing and hand-off settings.",
    )


@login_required
@require_GET
def routing_rules(request: HttpRequest) -> HttpResponse:
    _require_view_settings(request)
    context = {
        "rules": list(selectors.routing_rules()),
        "can_edit": services.can_configure_leads(_user(request)),
        "lead_settings": lead_settings_get(),
    }
    return render(request, "leads/routing_rules.html", context)


def _rule_values(form: RoutingRuleForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "method": data["method"],
        "countries": data.get("countries") or "",
        "industries": data.get("industries") or "",
        "user": data.get("user"),
        "team": data.get("team"),
        "is_active": data.get("is_active", False),
    }


@login_required
@require_http_methods(["GET", "POST"])
def routing_rule_create(request: HttpRequest) -> HttpResponse:
    _require_configure(request)
    form = RoutingRuleForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.routing_rule_create(actor=_user(request), **_rule_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Added the rule “{rule.name}”.")
            return redirect("leads:routing")
    status = 400 if request.method == "POST" else 200
    return render(request, "leads/routing_rule_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def routing_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_configure(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    form = RoutingRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        rule = get_object_or_404(RoutingRule, pk=pk)  # the form changed the instance in memory
        try:
            services.routing_rule_update(actor=_user(request), rule=rule, **_rule_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the rule “{rule.name}”.")
            return redirect("leads:routing")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "rule": rule}
    return render(request, "leads/routing_rule_form.html", context, status=status)


@login_required
@require_POST
def routing_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_configure(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    services.routing_rule_delete(actor=_user(request), rule=rule)
    messages.success(request, f"Deleted the rule “{rule.name}”.")
    return redirect("leads:routing")


@login_required
@require_POST
def routing_rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    _require_configure(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponse("Move a rule up or down.", status=400)
    services.routing_rule_move(actor=_user(request), rule=rule, up=direction == "up")
    return redirect("leads:routing")


@login_required
@require_http_methods(["GET", "POST"])
def lead_settings(request: HttpRequest) -> HttpResponse:
    _require_view_settings(request)
    user = _user(request)
    can_edit = services.can_configure_leads(user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only admins and marketers change the lead settings.")
    current = lead_settings_get()
    form = LeadSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_settings_update(
                actor=user,
                hand_raiser_forms=list(form.cleaned_data["hand_raiser_forms"]),
                **form.service_values(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved the qualification and hand-off settings.")
            return redirect("leads:lead_settings")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "can_edit": can_edit, "routing_url": reverse("leads:routing")}
    return render(request, "leads/lead_settings.html", context, status=status)
