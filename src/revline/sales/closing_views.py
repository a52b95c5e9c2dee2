from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User

from . import closing_selectors, closing_services
from .closing_forms import CloseReasonForm, CloseReasonRenameForm, WinLossFilterForm
from .closing_stats import WinRateRow
from .models import CloseReason, StageKind


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _reason_manager(request: HttpRequest) -> User:
    user = _user(request)
    permissions.require(
        closing_services.can_manage_close_reasons(user), closing_services.REASONS_DENIED
    )
    return user


def _render_reasons(
    request: HttpRequest,
    *,
    form: CloseReasonForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "groups": [
            ("won", "Won reasons", closing_selectors.close_reasons(StageKind.WON)),
            ("lost", "Lost reasons", closing_selectors.close_reasons(StageKind.LOST)),
        ],
        "form": form or CloseReasonForm(),
        "error": error,
    }
    return render(request, "sales/close_reasons.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def close_reasons(request: HttpRequest) -> HttpResponse:
    user = _reason_manager(request)
    if request.method == "GET":
        return _render_reasons(request)
    form = CloseReasonForm(request.POST)
    if form.is_valid():
        try:
            reason = closing_services.close_reason_create(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Reason “{reason.name}” added.")
            return redirect("sales:close_reasons")
    return _render_reasons(request, form=form, status=400)


@login_required
@require_POST
def close_reason_change(request: HttpRequest, pk: int) -> HttpResponse:
    """One change to one reason: rename, up, down, deactivate or activate (the `action` field)."""
    user = _reason_manager(request)
    reason = get_object_or_404(CloseReason, pk=pk)
    action = request.POST.get("action", "")
    if action == "rename":
        form = CloseReasonRenameForm(request.POST)
        if not form.is_valid():
            return _render_reasons(request, error=f"“{reason.name}”: give a name.", status=400)
        try:
            closing_services.close_reason_rename(
                actor=user, reason=reason, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            message = " ".join(exc.messages)
            return _render_reasons(request, error=f"“{reason.name}”: {message}", status=400)
        messages.success(request, f"Renamed to “{reason.name}”.")
    elif action in ("up", "down"):
        closing_services.close_reason_move(actor=user, reason=reason, up=action == "up")
    elif action in ("activate", "deactivate"):
        closing_services.close_reason_set_active(
            actor=user, reason=reason, is_active=action == "activate"
        )
        state = "back in the list" if reason.is_active else "retired"
        messages.success(request, f"“{reason.name}” is {state}.")
    else:
        return _render_reasons(request, error="Unknown change.", status=400)
    return redirect("sales:close_reasons")


def _chart(rows: list[WinRateRow]) -> dict[str, Any]:
    return {
        "labels": [row.label for row in rows],
        "rates": [row.win_rate for row in rows],
        "won": [row.won for row in rows],
        "lost": [row.lost for row in rows],
    }


@login_required
@require_GET
def win_loss(request: HttpRequest) -> HttpResponse:
    form = WinLossFilterForm(request.GET or None)
    form.is_valid()
    start, end = form.bounds()
    page = closing_selectors.win_loss(
        _user(request), pipeline=form.value("pipeline"), start=start, end=end
    )
    report = page.report
    charts = {
        "stage": _chart(report.by_stage),
        "owner": _chart(report.by_owner),
        "source": _chart(report.by_source),
    }
    context = {
        "form": form,
        "page": page,
        "report": report,
        "charts": charts,
        "filtered": any(form.value(k) for k in form.fields),
        "perms_close_reasons": closing_services.can_manage_close_reasons(_user(request)),
    }
    return render(request, "sales/win_loss.html", context, status=400 if form.errors else 200)
