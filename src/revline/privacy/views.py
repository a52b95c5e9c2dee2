import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from revline.core import permissions
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.people.models import Contact

from . import selectors, services
from .forms import ErasureForm, RequestForm
from .models import RequestKind

COLUMNS = [
    Column("subject", "Person"),
    Column("kind", "Request", "kind"),
    Column("requested_at", "Received", "requested_at"),
    Column("due_at", "Due", "due_at"),
    Column("status", "Status", "status"),
    Column("completed_at", "Completed", "completed_at"),
]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    qs = selectors.privacy_requests(actor=user, status=request.GET.get("status", ""))
    listing = build_listing(
        request,
        qs,
        columns=COLUMNS,
        search_fields=("subject_label", "contact__email", "contact__last_name", "note"),
        filters={"kind": "kind"},
        default_sort="due_at",
    )
    context = {
        "listing": listing,
        "now": timezone.now(),
        "kinds": RequestKind.choices,
        "filtered": bool(
            listing.query or listing.params.get("kind") or listing.params.get("status")
        ),
    }
    return render(request, "privacy/request_list.html", context)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    privacy_request = selectors.privacy_request_get(actor=user, pk=pk)
    if privacy_request is None:
        raise Http404
    context = {
        "req": privacy_request,
        "now": timezone.now(),
        "can_download": services.can_export(user)
        and privacy_request.kind == RequestKind.EXPORT
        and privacy_request.contact_id is not None,
    }
    return render(request, "privacy/request_detail.html", context)


@login_required
@require_POST
def request_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _user(request)
    permissions.require(services.can_export(user), "Only admins can export a person's data.")
    privacy_request = selectors.privacy_request_get(actor=user, pk=pk)
    if privacy_request is None:
        raise Http404
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    try:
        services.export_request_fulfil(actor=user, request=privacy_request, out=out)
    except ValidationError as exc:
        out.close()
        messages.error(request, " ".join(exc.messages))
        return redirect("privacy:request", pk=pk)
    out.seek(0)
    name = f"revline-contact-{privacy_request.contact_id}-{timezone.now():%Y%m%d}.zip"
    return FileResponse(out, as_attachment=True, filename=name, content_type="application/zip")


def _contact(pk: int) -> Contact:
    return get_object_or_404(Contact, pk=pk)


@login_required
@require_POST
def contact_export(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    permissions.require(services.can_export(user), "Only admins can export a person's data.")
    contact = _contact(pk)
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how the request was received.")
        return redirect("people:contact", pk=pk)
    privacy_request = services.export_request_create(
        actor=user, contact=contact, **form.cleaned_data
    )
    messages.success(request, "Export request recorded. Download the archive to answer it.")
    return redirect("privacy:request", pk=privacy_request.pk)


@login_required
@require_POST
def contact_objection(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    permissions.require(
        services.can_record_objection(user), "Only admins and marketers can record an objection."
    )
    contact = _contact(pk)
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how the objection was received.")
        return redirect("people:contact", pk=pk)
    services.objection_record(actor=user, contact=contact, **form.cleaned_data)
    messages.success(request, "Objection honoured: no more marketing to this person.")
    return redirect("people:contact", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    permissions.require(services.can_erase(user), "Only admins can erase a person.")
    contact = _contact(pk)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        privacy_request = services.contact_erase(
            actor=user,
            contact=contact,
            received_via=form.cleaned_data["received_via"],
            note=form.cleaned_data["note"],
        )
        messages.success(
            request, "The person was erased. Only a hashed trace of the address is kept."
        )
        return redirect("privacy:request", pk=privacy_request.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "privacy/erase_confirm.html", {"contact": contact, "form": form}, status=status
    )
