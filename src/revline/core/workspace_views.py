"""Settings → Workspace: the site origins and the tracking consent rule, plus the snippet to copy."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from revline.tracking.selectors import snippet_activity, snippet_install_code

from . import permissions
from .models import RecordVisibility, User
from .workspace import (
    workspace_get,
    workspace_outbound_resume,
    workspace_update,
    workspace_visibility_update,
)


class WorkspaceForm(forms.Form):
    site_origins = forms.CharField(
        required=False,
        label="Site origins",
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "https://www.example.com", "spellcheck": "false"}
        ),
        help_text="Your own websites, one per line: https://host or https://host:port, no path. "
        "Only these may send tracking events.",
    )
    tracking_requires_consent = forms.BooleanField(
        required=False,
        label="Track only after the visitor consents",
        help_text="The snippet sets no cookie and sends nothing until your consent banner calls "
        "revline.consent(true).",
    )


class VisibilityForm(forms.Form):
    """Which records of each type sales reps and managers see (admins and marketers see all)."""

    contact = forms.ChoiceField(choices=RecordVisibility.choices, label="Contacts")
    company = forms.ChoiceField(choices=RecordVisibility.choices, label="Companies")
    deal = forms.ChoiceField(choices=RecordVisibility.choices, label="Deals")
    activity = forms.ChoiceField(
        choices=RecordVisibility.choices,
        label="Activities",
        help_text="An activity's owner is its assignee, else its author; activities on a hidden "
        "deal stay hidden.",
    )


def _visibility_form(data: Any = None) -> VisibilityForm:
    workspace = workspace_get()
    initial = {
        kind: getattr(workspace, f"{kind}_visibility") for kind in VisibilityForm.base_fields
    }
    return VisibilityForm(data, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request: HttpRequest) -> HttpResponse:
    """Admins edit; marketers see the settings and the install code read-only."""
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user), "Only admins and marketers can see this page."
    )
    can_edit = permissions.is_admin(user)
    if request.method == "POST":
        permissions.require(can_edit, "Only admins can change the workspace settings.")
        form = WorkspaceForm(request.POST)
        if form.is_valid():
            try:
                workspace_update(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Workspace settings saved.")
                return redirect("workspace_settings")
    else:
        form = _tracking_form()
    return _render_settings(request, form, _visibility_form())


def _tracking_form() -> WorkspaceForm:
    workspace = workspace_get()
    return WorkspaceForm(
        initial={
            "site_origins": workspace.site_origins,
            "tracking_requires_consent": workspace.tracking_requires_consent,
        }
    )


def _render_settings(
    request: HttpRequest, form: WorkspaceForm, visibility_form: VisibilityForm
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    can_edit = permissions.is_admin(user)
    workspace = workspace_get()
    context = {
        "form": form,
        "can_edit": can_edit,
        "workspace": workspace,
        "origins": [line for line in workspace.site_origins.splitlines() if line.strip()],
        "install_code": snippet_install_code(requires_consent=workspace.tracking_requires_consent),
        "activity": snippet_activity(),
        "visibility_form": visibility_form,
    }
    status = 400 if form.errors or visibility_form.errors else 200
    return render(request, "core/workspace.html", context, status=status)


@login_required
@require_POST
def workspace_outbound_resume_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    workspace_outbound_resume(actor=user)
    messages.success(request, "Sending resumed: scheduled emails and sequences carry on.")
    return redirect("workspace_settings")


@login_required
@require_POST
def workspace_visibility_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.is_admin(user), "Only admins can change the workspace settings."
    )
    form = _visibility_form(request.POST)
    if form.is_valid():
        try:
            workspace_visibility_update(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Record visibility saved.")
            return redirect("workspace_settings")
    return _render_settings(request, _tracking_form(), form)
