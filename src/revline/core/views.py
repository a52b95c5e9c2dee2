from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import permissions, selectors, services
from .forms import TeamForm, TokenForm, UserCreateForm, UserEditForm
from .models import ApiToken, User


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    response = HttpResponse(
        "Too many requests. Please wait a minute and try again.",
        status=429,
        content_type="text/plain",
    )
    response["Retry-After"] = "60"
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/home.html",
        {"summary": selectors.workspace_summary(viewer=request.user)},  # type: ignore[arg-type]
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = services.api_token_issue(
            user=user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
        )
        form = TokenForm()
    context = {"form": form, "issued": issued, "tokens": ApiToken.objects.filter(user=user)}
    return render(request, "core/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("tokens")


def _admin_only(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_users(user), "Only admins can manage users and teams."
    )
    return user


@login_required
@require_http_methods(["GET", "POST"])
def users(request: HttpRequest) -> HttpResponse:
    actor = _admin_only(request)
    user_form = UserCreateForm(request.POST if request.POST.get("form") == "user" else None)
    team_form = TeamForm(request.POST if request.POST.get("form") == "team" else None)
    if request.method == "POST":
        if request.POST.get("form") == "user" and user_form.is_valid():
            data: dict[str, Any] = user_form.cleaned_data
            try:
                created = services.user_create(actor=actor, **data)
            except ValidationError as exc:
                user_form.add_error(None, exc)
            else:
                messages.success(request, f"User {created.username} created.")
                return redirect("users")
        elif request.POST.get("form") == "team" and team_form.is_valid():
            team = services.team_create(actor=actor, name=team_form.cleaned_data["name"])
            messages.success(request, f"Team {team.name} created.")
            return redirect("users")
    context = {
        "users": selectors.users_with_twofactor().order_by("username"),
        "teams": selectors.teams_with_counts(),
        "user_form": user_form,
        "team_form": team_form,
    }
    return render(request, "core/users.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _admin_only(request)
    user = get_object_or_404(User, pk=pk)
    initial = {"role": user.role, "team": user.team, "is_active": user.is_active}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=actor, user=user, **form.cleaned_data)
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{user} updated.")
            return redirect("users")
    return render(request, "core/user_edit.html", {"form": form, "subject": user})
