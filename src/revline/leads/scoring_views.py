from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User
from revline.people.models import Company, Contact

from . import scoring_selectors, scoring_services
from .models import EngagementRule, FitRule
from .scoring_forms import EngagementRuleForm, FitRuleForm, ScoringSettingsForm
from .selectors import lead_settings_get


def _manager(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    permissions.require(
        scoring_services.can_configure_scoring(user), scoring_services.SETTINGS_DENIED
    )
    return user


def _render_page(
    request: HttpRequest,
    *,
    fit_form: FitRuleForm | None = None,
    engagement_form: EngagementRuleForm | None = None,
    settings_form: ScoringSettingsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    settings = lead_settings_get()
    context = {
        "fit_rows": scoring_selectors.fit_rule_rows(),
        "engagement_rows": scoring_selectors.engagement_rule_rows(),
        "fit_form": fit_form or FitRuleForm(),
        "engagement_form": engagement_form or EngagementRuleForm(),
        "settings_form": settings_form
        or ScoringSettingsForm(
            initial={"engagement_half_life_days": settings.engagement_half_life_days}
        ),
        "half_life_days": settings.engagement_half_life_days,
    }
    return render(request, "leads/scoring_settings.html", context, status=status)


@login_required
@require_GET
def scoring_page(request: HttpRequest) -> HttpResponse:
    _manager(request)
    return _render_page(request)


@login_required
@require_POST
def scoring_settings(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = ScoringSettingsForm(request.POST)
    if form.is_valid():
        try:
            scoring_services.scoring_settings_update(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Scoring settings saved.")
            return redirect("leads:scoring")
    return _render_page(request, settings_form=form, status=400)


def _saved(
    request: HttpRequest, form: forms.Form, save: Callable[[], object], done: str
) -> HttpResponse | None:
    """Save a valid rule form through its service and go back to the rules; None (with the
    errors on the form) when the form or the service refuses it."""
    if not form.is_valid():
        return None
    try:
        save()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, done)
    return redirect("leads:scoring")


def _render_rule_form(
    request: HttpRequest, form: forms.Form, rule: FitRule | EngagementRule, kind: str
) -> HttpResponse:
    context = {"form": form, "rule": rule, "kind": kind}
    status = 400 if form.errors else 200
    return render(request, "leads/scoring_rule_form.html", context, status=status)


def _fit_data(form: FitRuleForm) -> dict[str, Any]:
    return {k: form.cleaned_data[k] for k in ("field", "operator", "value", "points", "is_active")}


@login_required
@require_POST
def fit_rule_create(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = FitRuleForm(request.POST)
    saved = _saved(
        request,
        form,
        lambda: scoring_services.fit_rule_create(actor=user, **_fit_data(form)),
        "Fit rule added; fit scores are being recomputed.",
    )
    return saved or _render_page(request, fit_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def fit_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    rule = get_object_or_404(FitRule, pk=pk)
    initial = {
        "field": rule.field,
        "operator": rule.operator,
        "value": rule.value,
        "points": rule.points,
        "is_active": rule.is_active,
    }
    form = FitRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and (
        saved := _saved(
            request,
            form,
            lambda: scoring_services.fit_rule_update(actor=user, rule=rule, **_fit_data(form)),
            "Fit rule saved; fit scores are being recomputed.",
        )
    ):
        return saved
    return _render_rule_form(request, form, rule, "fit")


@login_required
@require_POST
def fit_rule_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the rule up or down, or delete it (the `action` field)."""
    user = _manager(request)
    rule = get_object_or_404(FitRule, pk=pk)
    action = request.POST.get("action", "")
    if action in ("up", "down"):
        scoring_services.fit_rule_move(actor=user, rule=rule, up=action == "up")
    elif action == "delete":
        scoring_services.fit_rule_delete(actor=user, rule=rule)
        messages.success(request, "Fit rule deleted; fit scores are being recomputed.")
    else:
        return HttpResponse("Unknown change.", status=400, content_type="text/plain")
    return redirect("leads:scoring")


def _engagement_data(form: EngagementRuleForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "touchpoint_kind": data["touchpoint_kind"],
        "url_pattern": data.get("url_pattern") or "",
        "campaign": data.get("campaign"),
        "points": data["points"],
        "max_per_period": data.get("max_per_period"),
        "period_days": data["period_days"],
        "is_active": data["is_active"],
    }


@login_required
@require_POST
def engagement_rule_create(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = EngagementRuleForm(request.POST)
    saved = _saved(
        request,
        form,
        lambda: scoring_services.engagement_rule_create(actor=user, **_engagement_data(form)),
        "Engagement rule added; it scores touches from now on.",
    )
    return saved or _render_page(request, engagement_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def engagement_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    rule = get_object_or_404(EngagementRule, pk=pk)
    initial = {
        "name": rule.name,
        "touchpoint_kind": rule.touchpoint_kind,
        "url_pattern": rule.url_pattern,
        "campaign": rule.campaign_id,
        "points": rule.points,
        "max_per_period": rule.max_per_period,
        "period_days": rule.period_days,
        "is_active": rule.is_active,
    }
    form = EngagementRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and (
        saved := _saved(
            request,
            form,
            lambda: scoring_services.engagement_rule_update(
                actor=user, rule=rule, **_engagement_data(form)
            ),
            f"Engagement rule “{rule.name}” saved.",
        )
    ):
        return saved
    return _render_rule_form(request, form, rule, "engagement")


@login_required
@require_POST
def engagement_rule_change(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    rule = get_object_or_404(EngagementRule, pk=pk)
    action = request.POST.get("action", "")
    if action in ("up", "down"):
        scoring_services.engagement_rule_move(actor=user, rule=rule, up=action == "up")
    elif action == "delete":
        scoring_services.engagement_rule_delete(actor=user, rule=rule)
        messages.success(request, f"Engagement rule “{rule.name}” deleted.")
    else:
        return HttpResponse("Unknown change.", status=400, content_type="text/plain")
    return redirect("leads:scoring")


@login_required
@require_GET
def contact_score_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The score panel of the contact page (an htmx fragment): scores, trend and explanation."""
    contact = get_object_or_404(Contact, pk=pk)
    context = {"score": scoring_selectors.contact_score(contact=contact)}
    return render(request, "leads/scoring_contact_panel.html", context)


@login_required
@require_GET
def company_score_panel(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    context = {"score": scoring_selectors.company_score(company=company)}
    return render(request, "leads/scoring_company_panel.html", context)
