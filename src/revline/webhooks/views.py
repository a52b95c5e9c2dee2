"""Webhook settings pages: admins manage endpoints; marketers may read the lists and logs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.models import Role, User

from . import selectors, services
from .forms import EndpointForm
from .models import Delivery, DeliveryStatus, Endpoint, EventType


def _reader(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.is_admin(user) or (user.is_active and user.role == Role.MARKETER),
        "Only admins and marketers see webhooks.",
    )
    return user


def _admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.is_admin(user), services.ADMINS_ONLY)
    return user


def _endpoint_or_404(pk: int) -> Endpoint:
    endpoint = selectors.endpoint_get(pk=pk)
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def _apply_errors(form: EndpointForm, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, messages_ in errors.items():
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


@login_required
@require_GET
def endpoint_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    listing = selectors.endpoint_listing(request)
    context = {
        "listing": listing,
        "filtered": bool(listing.query or listing.params.get("active")),
        "is_admin": permissions.is_admin(user),
    }
    return render(request, "webhooks/endpoint_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_create(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            # The one time the secret is shown without asking: the page right after creation.
            return render(
                request,
                "webhooks/endpoint_created.html",
                {"endpoint": endpoint, "secret": endpoint.secret},
                status=201,
            )
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": None})


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    endpoint = _endpoint_or_404(pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=user, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Webhook endpoint saved.")
            return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint})


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    services.endpoint_delete(actor=user, endpoint=_endpoint_or_404(pk))
    messages.success(request, "Webhook endpoint deleted.")
    return redirect("webhooks:endpoints")


@login_required
@require_GET
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    endpoint = _endpoint_or_404(pk)
    listing = selectors.delivery_listing(request, endpoint=endpoint)
    context = {
        "endpoint": endpoint,
        "listing": listing,
        "counts": selectors.delivery_counts(endpoint=endpoint),
        "statuses": DeliveryStatus.choices,
        "filtered": bool(listing.query or listing.params.get("status")),
        "is_admin": permissions.is_admin(user),
        "event_labels": dict(EventType.choices),
        "now": timezone.now(),
    }
    return render(request, "webhooks/endpoint_detail.html", context)


@login_required
@require_POST
def secret_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    endpoint = _endpoint_or_404(pk)
    secret = services.endpoint_secret_reveal(actor=user, endpoint=endpoint)
    response = render(
        request, "webhooks/endpoint_created.html", {"endpoint": endpoint, "secret": secret}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def secret_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    endpoint = _endpoint_or_404(pk)
    secret = services.endpoint_secret_rotate(actor=user, endpoint=endpoint)
    response = render(
        request,
        "webhooks/endpoint_created.html",
        {"endpoint": endpoint, "secret": secret, "rotated": True},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    endpoint = _endpoint_or_404(pk)
    services.endpoint_send_test(actor=user, endpoint=endpoint)
    messages.success(request, "Test event queued; its delivery appears in the log below.")
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)


@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    delivery = Delivery.objects.filter(pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery.")
    try:
        services.delivery_replay(actor=user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Delivery replayed with the same event id.")
    return redirect(_next_url(request, reverse("webhooks:dead_letters")))


@login_required
@require_POST
def replay_all(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    endpoint = None
    if endpoint_id := request.POST.get("endpoint", "").strip():
        if not endpoint_id.isdigit():
            raise Http404("No such webhook endpoint.")
        endpoint = _endpoint_or_404(int(endpoint_id))
    count = services.deliveries_replay_all(actor=user, endpoint=endpoint)
    messages.success(request, f"{count} deliver{'y' if count == 1 else 'ies'} replayed.")
    return redirect("webhooks:dead_letters")


@login_required
@require_GET
def dead_letters(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    listing = selectors.dead_letter_listing(request)
    context = {
        "listing": listing,
        "statuses": [(s, label) for s, label in DeliveryStatus.choices if s in selectors.DEAD],
        "filtered": bool(listing.query or listing.params.get("status")),
        "is_admin": permissions.is_admin(user),
    }
    return render(request, "webhooks/dead_letters.html", context)


def _next_url(request: HttpRequest, default: str) -> str:
    """Only our own paths: never an open redirect."""
    target = request.POST.get("next", "")
    if target.startswith("/settings/webhooks/") and "//" not in target and "\\" not in target:
        return target
    return default
