"""Reps' availability page, and the public booking page a 'book a meeting' CTA leads to."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.campaigns.creative_selectors import creative_for_public_key
from revline.campaigns.models import Creative, CtaAction
from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User
from revline.core.ratelimit import client_ip, public_rate_limit
from revline.tracking.services import parse_visitor_id
from revline.tracking.views import VISITOR_COOKIE, request_info, set_visitor_cookie

from . import booking_selectors, booking_services
from .booking_forms import WEEKDAYS, AvailabilityForm, AvailabilityUserForm, BookingForm
from .models import BookingAvailability
from .slots import slots_by_day


def _availability_target(request: HttpRequest, actor: User, users: Any) -> User:
    raw = request.POST.get("user") or request.GET.get("user")
    if not raw:
        return actor
    chooser = AvailabilityUserForm({"user": raw}, users=users)
    if not chooser.is_valid() or chooser.cleaned_data["user"] is None:
        raise Http404("No such rep")
    user: User = chooser.cleaned_data["user"]
    return user


def _availability_page(
    request: HttpRequest, actor: User, target: User, form: AvailabilityForm, status: int = 200
) -> HttpResponse:
    users = booking_selectors.availability_users_for(actor)
    context = {
        "target": target,
        "form": form,
        "windows": booking_selectors.availability_for(target),
        "meetings": booking_selectors.upcoming_meetings(target),
        "time_zone": booking_selectors.time_zone_of(target),
        "weekday_names": dict(WEEKDAYS),
        "can_edit": booking_selectors.can_manage_availability(actor, target),
        "user_form": AvailabilityUserForm(initial={"user": target.pk}, users=users),
        "can_switch": users.exclude(pk=actor.pk).exists(),
    }
    return render(request, "sales/booking_availability.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    target = _availability_target(request, actor, booking_selectors.availability_users_for(actor))
    if request.method != "POST":
        return _availability_page(request, actor, target, AvailabilityForm())
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        try:
            booking_services.availability_add(actor=actor, user=target, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Availability added.")
            return redirect(_availability_url(actor, target))
    return _availability_page(request, actor, target, form, status=400)


def _availability_url(actor: User, target: User) -> str:
    url = reverse("sales:availability")
    return url if target.pk == actor.pk else f"{url}?user={target.pk}"


@login_required
@require_POST
def availability_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    window = get_object_or_404(BookingAvailability.objects.select_related("user"), pk=pk)
    permissions.require(
        booking_selectors.can_manage_availability(actor, window.user),
        "You can only set your own availability (managers: their team's).",
    )
    booking_services.availability_remove(actor=actor, window=window)
    messages.success(request, "Availability removed. Meetings already booked stay booked.")
    return redirect(_availability_url(actor, window.user))


def _booking_creative(key: str) -> Creative:
    creative = creative_for_public_key(key, action=CtaAction.BOOK_MEETING)
    if creative is None:
        raise Http404("Unknown booking page")
    return creative


def _booking_page(
    request: HttpRequest, creative: Creative, form: BookingForm, status: int = 200
) -> HttpResponse:
    rep = creative.booking_user
    if not booking_selectors.is_bookable(rep):
        return render(request, "sales/booking_unavailable.html", {"creative": creative}, status=410)
    assert rep is not None
    slots = booking_selectors.bookable_slots(rep)
    selected = form.data.get("slot", "") if form.is_bound else ""
    context = {
        "creative": creative,
        "rep": rep,
        "days": slots_by_day(slots),
        "time_zone": slots[0].time_zone if slots else "",
        "form": form,
        "selected": selected,
    }
    return render(request, "sales/booking_page.html", context, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
@public_rate_limit("booking")
def book(request: HttpRequest, key: str) -> HttpResponse:
    creative = _booking_creative(key)
    if request.method != "POST":
        return _booking_page(request, creative, BookingForm())
    form = BookingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = booking_services.meeting_book(
                creative=creative,
                starts_at=data["slot"],
                booker=booking_services.Booker(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    company_name=data["company_name"],
                    note=data["note"],
                    consent=data["consent"],
                ),
                visitor_id=parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE)),
                ip_address=client_ip(request),
                info=request_info(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            response = redirect(
                "quotes:book_done", key=key, ref=booking_selectors.meeting_ref(result.meeting)
            )
            set_visitor_cookie(response, result.visitor_id)
            return response
    return _booking_page(request, creative, form, status=400)


@require_GET
@never_cache
@public_rate_limit("booking")
def book_done(request: HttpRequest, key: str, ref: str) -> HttpResponse:
    creative = _booking_creative(key)
    meeting = booking_selectors.meeting_for_ref(creative=creative, ref=ref)
    if meeting is None:
        raise Http404("Unknown booking")
    context = {
        "creative": creative,
        "meeting": meeting,
        "time_zone": booking_selectors.time_zone_of(meeting.user),
    }
    return render(request, "sales/booking_done.html", context)
