"""The weekly digest settings: subscribe yourself; admins subscribe chosen people."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from revline.core import permissions
from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import digest
from .models import DigestSubscription

ACTIONS = [("subscribe", "Subscribe"), ("unsubscribe", "Unsubscribe")]


class OwnDigestForm(forms.Form):
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput, initial="subscribe")
    weekday = forms.TypedChoiceField(
        choices=digest.WEEKDAYS, coerce=int, initial=0, label="Send it on"
    )


class SubscribeUserForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).exclude(email="").order_by("username"),
        label="Person",
    )
    weekday = forms.TypedChoiceField(
        choices=digest.WEEKDAYS, coerce=int, initial=0, label="Send it on"
    )


COLUMNS = [
    Column("user", "Person", "user__username"),
    Column("email", "Email", "user__email"),
    Column("weekday", "Day", "weekday"),
    Column("last_sent_at", "Last sent", "last_sent_at"),
    Column("actions", "", None),
]


def _page(
    request: HttpRequest, own_form: OwnDigestForm, admin_form: SubscribeUserForm | None, status: int
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    own = DigestSubscription.objects.filter(user=user, is_active=True).first()
    listing = None
    if permissions.is_admin(user):
        listing = build_listing(
            request,
            DigestSubscription.objects.filter(is_active=True).select_related("user"),
            columns=COLUMNS,
            search_fields=["user__username", "user__email", "user__first_name", "user__last_name"],
            filters={"weekday": "weekday"},
            default_sort="user",
        )
    subject, preview, _ = digest.digest_render(digest.digest_build(user=user, now=timezone.now()))
    context: dict[str, Any] = {
        "own": own,
        "own_form": own_form,
        "admin_form": admin_form,
        "listing": listing,
        "weekdays": digest.WEEKDAYS,
        "preview_subject": subject,
        "preview": preview,
        "send_hour": digest.SEND_HOUR,
    }
    return render(request, "analytics/digest_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def digest_settings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    admin_form = SubscribeUserForm() if permissions.is_admin(user) else None
    if request.method != "POST":
        own = DigestSubscription.objects.filter(user=user, is_active=True).first()
        initial = {"weekday": own.weekday} if own else {}
        return _page(request, OwnDigestForm(initial=initial), admin_form, 200)
    form = OwnDigestForm(request.POST)
    if not form.is_valid():
        return _page(request, form, admin_form, 400)
    try:
        if form.cleaned_data["action"] == "unsubscribe":
            digest.digest_unsubscribe(actor=user, user=user)
            messages.success(request, "You will no longer get the weekly digest.")
        else:
            digest.digest_subscribe(actor=user, user=user, weekday=form.cleaned_data["weekday"])
            messages.success(request, "You will get the weekly digest.")
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _page(request, form, admin_form, 400)
    return redirect("analytics:digest")


@login_required
@require_POST
def digest_subscribe_user(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    if not permissions.is_admin(actor):
        raise PermissionDenied("Only admins can subscribe other people.")
    form = SubscribeUserForm(request.POST)
    if form.is_valid():
        try:
            digest.digest_subscribe(
                actor=actor, user=form.cleaned_data["user"], weekday=form.cleaned_data["weekday"]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("user", message)
        else:
            messages.success(request, f"{form.cleaned_data['user']} will get the weekly digest.")
            return redirect("analytics:digest")
    return _page(request, OwnDigestForm(), form, 400)


@login_required
@require_POST
def digest_unsubscribe_user(request: HttpRequest, user_id: int) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    user = get_object_or_404(User, pk=user_id)
    digest.digest_unsubscribe(actor=actor, user=user)
    messages.success(request, f"{user} will no longer get the weekly digest.")
    return redirect("analytics:digest")
