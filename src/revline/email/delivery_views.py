"""Pages of the deliverability area: public unsubscribe, preference centre and double opt-in
confirmation; the DSN webhook; the suppression list and topics for the team."""

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User
from revline.core.ratelimit import client_ip, email_rate_limit, public_rate_limit

from . import delivery_selectors as selectors
from . import delivery_services as services
from .delivery_forms import SuppressionAddForm, SuppressionRemoveForm, TopicForm
from .models import Send, Suppression, SuppressionReason, Topic


def _private(response: HttpResponse) -> HttpResponse:
    """Pages reached through a token (never_cache too): not indexed, not leaked in a Referer."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return _private(
        render(request, "email/delivery_public_invalid.html", {"message": message}, status=404)
    )


UNKNOWN_LINK = "This link is not valid. If you copied it from an email, check that it is complete."


# --- Public: unsubscribe, preferences, confirmation ---------------------------------------------


# RFC 8058 one-click: mail providers POST "List-Unsubscribe=One-Click" with no cookie and no CSRF
# token, so this view alone is exempt; the unguessable send token is the credential.
@csrf_exempt
@email_rate_limit("email_unsubscribe")
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    send = selectors.send_by_token(token)
    if send is None:
        return _not_found(request, UNKNOWN_LINK)
    if request.method == "POST":
        via = "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "link"
        services.send_unsubscribe(send=send, ip_address=client_ip(request), via=via)
        return _private(render(request, "email/delivery_unsubscribed.html", {"send": send}))
    context = {"send": send, "already": send.unsubscribed_at is not None}
    return _private(render(request, "email/delivery_unsubscribe.html", context))


def _preferences_page(request: HttpRequest, send: Send, saved: bool = False) -> HttpResponse:
    context = {"prefs": selectors.preferences_for(send), "saved": saved}
    return _private(render(request, "email/delivery_preferences.html", context))


@public_rate_limit("email_preferences")
@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    send = selectors.send_by_token(token)
    if send is None:
        return _not_found(request, UNKNOWN_LINK)
    if request.method != "POST":
        return _preferences_page(request, send)
    kept = {int(v) for v in request.POST.getlist("topics") if v.isdigit() and len(v) < 12}
    services.preferences_save(
        send=send,
        kept_topic_ids=kept,
        unsubscribe_all=request.POST.get("unsubscribe_all") == "1",
        ip_address=client_ip(request),
    )
    return _preferences_page(request, send, saved=True)


EXPIRED = (
    "This confirmation link is not valid or has expired (links work for "
    f"{services.CONFIRM_MAX_AGE.days} days). Please fill in the form again to get a new one."
)


@public_rate_limit("email_confirm")
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Double opt-in: a GET only shows the button (mail scanners fetch links); the POST confirms."""
    optin = services.double_opt_in_read(token)
    if optin is None:
        return _not_found(request, EXPIRED)
    if request.method == "POST":
        services.double_opt_in_confirm(request=optin, ip_address=client_ip(request))
        return _private(render(request, "email/delivery_confirmed.html", {"optin": optin}))
    return _private(render(request, "email/delivery_confirm.html", {"optin": optin}))


# Posted by a mail server's bounce pipe, not a browser: no CSRF cookie; the secret in the path
# (compared in constant time) is the credential.
@csrf_exempt
@public_rate_limit("email_dsn")
@require_POST
def dsn_webhook(request: HttpRequest, secret: str) -> HttpResponse:
    expected = settings.REVLINE_DSN_SECRET
    if not expected or not constant_time_compare(secret, expected):
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    if not request.body:
        return HttpResponse(
            "Post the raw RFC 5322 message as the request body.",
            status=400,
            content_type="text/plain",
        )
    events = services.delivery_report_process(raw=request.body, source="dsn_webhook")
    return JsonResponse({"events": [{"kind": e.kind, "address": e.address} for e in events]})


# --- Team: suppression list ---------------------------------------------------------------------


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user),
        "Only marketers and admins manage the suppression list and topics.",
    )
    return user


def _suppression_list_page(
    request: HttpRequest, add_form: SuppressionAddForm, status: int = 200
) -> HttpResponse:
    listing = selectors.suppression_listing(request)
    context = {
        "listing": listing,
        "add_form": add_form,
        "reasons": SuppressionReason.choices,
        "counts": selectors.suppression_counts(),
        "filtered": bool(listing.params.keys() - {"sort", "page"}),
        "can_remove": permissions.is_admin(request.user),  # type: ignore[arg-type]
    }
    return render(request, "email/delivery_suppressions.html", context, status=status)


@login_required
@require_GET
def suppression_list(request: HttpRequest) -> HttpResponse:
    _marketer(request)
    return _suppression_list_page(request, SuppressionAddForm())


@login_required
@require_POST
def suppression_add(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    form = SuppressionAddForm(request.POST)
    if form.is_valid():
        try:
            row = services.suppression_add_manual(
                actor=actor, address=form.cleaned_data["address"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{row.address} is on the suppression list.")
            return redirect("email:suppressions")
    return _suppression_list_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def suppression_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.is_admin(actor), "Only admins can remove addresses from the suppression list."
    )
    row = get_object_or_404(Suppression.objects.select_related("send__email"), pk=pk)
    form = SuppressionRemoveForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.suppression_remove(
                actor=actor, suppression=row, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{row.address} may receive marketing email again.")
            return redirect("email:suppressions")
    if request.method == "POST":
        status = 400
    context = {
        "row": row,
        "form": form,
        "needs_reason": row.reason in services.DELIBERATE_REMOVAL,
    }
    return render(request, "email/delivery_suppression_remove.html", context, status=status)


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def suppression_export(request: HttpRequest) -> StreamingHttpResponse:
    _marketer(request)
    writer = csv.writer(_Echo())
    rows = selectors.suppression_csv_rows(
        query=request.GET.get("q", "").strip(), reason=request.GET.get("reason", "")
    )
    lines: Iterator[Any] = (writer.writerow(row) for row in rows)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="suppressions.csv"'
    return response


# --- Team: topics -------------------------------------------------------------------------------


def _topic_list_page(request: HttpRequest, form: TopicForm, status: int = 200) -> HttpResponse:
    listing = selectors.topic_listing(request)
    context = {"listing": listing, "form": form, "filtered": bool(listing.query)}
    return render(request, "email/delivery_topics.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def topic_list(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        return _topic_list_page(request, TopicForm())
    form = TopicForm(request.POST)
    if form.is_valid():
        try:
            topic = services.topic_create(
                actor=actor,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Topic “{topic.name}” created.")
            return redirect("email:topics")
    return _topic_list_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    topic = get_object_or_404(Topic, pk=pk)
    form = TopicForm(
        request.POST if request.method == "POST" else None, instance=Topic.objects.get(pk=pk)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.topic_update(
                    actor=actor,
                    topic=Topic.objects.get(pk=pk),
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Topic saved.")
                return redirect("email:topics")
        return render(
            request, "email/delivery_topic_edit.html", {"topic": topic, "form": form}, status=400
        )
    return render(request, "email/delivery_topic_edit.html", {"topic": topic, "form": form})


@login_required
@require_POST
def topic_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    topic = get_object_or_404(Topic, pk=pk)
    name = topic.name
    services.topic_delete(actor=actor, topic=topic)
    messages.success(request, f"Topic “{name}” deleted.")
    return redirect("email:topics")
