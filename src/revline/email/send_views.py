"""Campaign email pages: the email section's home (/email/), the editor and the report."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.audience import sees_whole_audience
from revline.core.forms import add_service_errors
from revline.core.models import User
from revline.people.models import Contact

from . import send_selectors as selectors
from . import send_services as services
from .models import Email, EmailKind, EmailStatus
from .send_forms import EmailForm, ScheduleForm, TestSendForm


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user), "Only marketers and admins send email."
    )
    return user


def _email(pk: int) -> Email:
    return get_object_or_404(
        Email.objects.select_related("segment", "campaign", "topic", "template"),
        pk=pk,
        kind=EmailKind.CAMPAIGN,
    )


@login_required
@require_GET
def email_list(request: HttpRequest) -> HttpResponse:
    listing = selectors.email_listing(request)
    context = {
        "listing": listing,
        # Counted over every recipient: "—" cells for a reader narrowed by contact visibility.
        "stats": (
            selectors.email_list_stats(e.pk for e in listing.page)
            if sees_whole_audience(request.user)  # type: ignore[arg-type]
            else {}
        ),
        "statuses": EmailStatus.choices,
        "filtered": any(listing.params.get(k) for k in ("q", "status")),
    }
    return render(request, "email/send_list.html", context)


def _form_page(
    request: HttpRequest, form: EmailForm, email: Email | None, status: int = 200
) -> HttpResponse:
    return render(request, "email/send_form.html", {"form": form, "email": email}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def email_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        return _form_page(request, EmailForm(), None)
    form = EmailForm(request.POST)
    if form.is_valid():
        try:
            email = services.email_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Email “{email.name}” saved as a draft.")
            return redirect("email:email_detail", pk=email.pk)
    return _form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def email_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    email = _email(pk)
    if email.status != EmailStatus.DRAFT:
        messages.error(request, "Only a draft can be edited: cancel the schedule first.")
        return redirect("email:email_detail", pk=email.pk)
    if request.method != "POST":
        return _form_page(request, EmailForm(initial=EmailForm.initial_from(email)), email)
    form = EmailForm(request.POST)
    if form.is_valid():
        try:
            services.email_update(actor=actor, email=email, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Email “{email.name}” saved.")
            return redirect("email:email_detail", pk=email.pk)
    return _form_page(request, form, email, status=400)


def _progress(viewer: User, email: Email) -> selectors.Progress | None:
    # Recipient counts: not computed for a reader narrowed by contact visibility, who sees
    # the state only ("Sending…").
    return selectors.email_progress(email) if sees_whole_audience(viewer) else None


def _detail(
    request: HttpRequest,
    email: Email,
    *,
    schedule_form: ScheduleForm | None = None,
    test_form: TestSendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer: User = request.user  # type: ignore[assignment]
    # The report counts every recipient: not computed for a reader narrowed by contact visibility.
    report = selectors.email_report(email) if sees_whole_audience(viewer) else None
    context: dict[str, Any] = {
        "email": email,
        "report": report,
        "chart": report.chart() if report else None,
        "progress": _progress(viewer, email),
        "recent": selectors.email_recent_sends(email, viewer=viewer),
        "schedule_form": schedule_form or ScheduleForm(),
        "test_form": test_form or TestSendForm(initial={"to": request.user.email}),  # type: ignore[union-attr]
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "email/send_detail.html", context, status=status)


@login_required
@require_GET
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _email(pk))


@login_required
@require_GET
def email_progress(request: HttpRequest, pk: int) -> HttpResponse:
    email = _email(pk)
    context = {"email": email, "progress": _progress(request.user, email)}  # type: ignore[arg-type]
    return render(request, "email/send_progress.html", context)


def _service_error(request: HttpRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


@login_required
@require_POST
def email_send_now(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    email = _email(pk)
    try:
        services.email_send_now(actor=actor, email=email)
    except ValidationError as exc:
        _service_error(request, exc)
        return _detail(request, email, status=400)
    messages.success(request, f"“{email.name}” is being sent.")
    return redirect("email:email_detail", pk=email.pk)


@login_required
@require_POST
def email_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    email = _email(pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.email_schedule(actor=actor, email=email, at=form.cleaned_data["scheduled_at"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"“{email.name}” is scheduled.")
            return redirect("email:email_detail", pk=email.pk)
    email.refresh_from_db()
    return _detail(request, email, schedule_form=form, status=400)


@login_required
@require_POST
def email_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    email = _email(pk)
    try:
        services.email_cancel(actor=actor, email=email)
    except ValidationError as exc:
        _service_error(request, exc)
        return _detail(request, email, status=400)
    messages.success(request, "The schedule is cancelled; the email is a draft again.")
    return redirect("email:email_detail", pk=email.pk)


@login_required
@require_POST
def email_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    email = _email(pk)
    form = TestSendForm(request.POST)
    if form.is_valid():
        contact = None
        if address := form.cleaned_data["contact"]:
            contact = Contact.objects.filter(email__iexact=address).first()
            if contact is None:
                form.add_error("contact", "No contact has this email address.")
        if not form.errors:
            try:
                services.email_send_test(
                    actor=actor, email=email, to=form.cleaned_data["to"], contact=contact
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Test sent to {form.cleaned_data['to']}.")
                return redirect("email:email_detail", pk=email.pk)
    return _detail(request, email, test_form=form, status=400)
