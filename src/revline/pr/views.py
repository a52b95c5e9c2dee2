"""PR pages. Everyone signed in reads; marketers and admins write (checked here and in services)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User

from . import selectors, services
from .forms import (
    CoverageForm,
    DistributeForm,
    InteractionForm,
    MediaContactForm,
    PeriodForm,
    PressReleaseForm,
    TransitionForm,
)
from .metrics import default_period
from .models import Coverage, MediaContact, PressRelease, ReleaseStatus, Sentiment


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.can_manage_marketing(user), services.MARKETING_ONLY)
    return user


# --- The PR page -------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        form = PeriodForm(initial={"start": start, "end": end})  # show the period in use
    else:
        start, end = default_period(timezone.localdate())
    overview = selectors.pr_overview(start=start, end=end)
    chart = {
        "labels": [point.label for point in overview.series],
        "coverage": [point.coverage for point in overview.series],
        "reach": [point.reach for point in overview.series],
        "voice": {
            "labels": [row.name for row in overview.voice.rows],
            "mentions": [row.mentions for row in overview.voice.rows],
        },
    }
    context = {"form": form, "overview": overview, "chart": chart}
    return render(request, "pr/home.html", context, status=400 if form.errors else 200)


# --- Media contacts ----------------------------------------------------------------------------


@login_required
@require_GET
def media_contact_list(request: HttpRequest) -> HttpResponse:
    listing = selectors.media_contact_listing(request)
    context = {
        "listing": listing,
        "options": selectors.media_contact_filter_options(),
        "filtered": bool(listing.params.keys() - {"sort", "page"}),
    }
    return render(request, "pr/media_contact_list.html", context)


def _render_media_contact(
    request: HttpRequest, contact: MediaContact, form: InteractionForm, status: int = 200
) -> HttpResponse:
    context = {
        "profile": selectors.media_contact_profile(contact),
        "interaction_form": form,
    }
    return render(request, "pr/media_contact_detail.html", context, status=status)


@login_required
@require_GET
def media_contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(MediaContact.objects.select_related("owner"), pk=pk)
    form = InteractionForm(initial={"occurred_on": timezone.localdate()})
    return _render_media_contact(request, contact, form)


@login_required
@require_POST
def media_interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    contact = get_object_or_404(MediaContact.objects.select_related("owner"), pk=pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.media_interaction_log(actor=actor, media_contact=contact, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Interaction logged.")
            return redirect(reverse("pr:media_contact", args=[contact.pk]) + "#history")
    return _render_media_contact(request, contact, form, status=400)


def _media_contact_form_page(
    request: HttpRequest, form: MediaContactForm, contact: MediaContact | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "pr/media_contact_form.html", {"form": form, "contact": contact}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def media_contact_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        return _media_contact_form_page(
            request, MediaContactForm(initial={"owner": actor.pk}), None
        )
    form = MediaContactForm(request.POST)
    if form.is_valid():
        try:
            contact = services.media_contact_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Media contact {contact.name} added.")
            return redirect("pr:media_contact", pk=contact.pk)
    return _media_contact_form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def media_contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    contact = get_object_or_404(MediaContact, pk=pk)
    if request.method != "POST":
        return _media_contact_form_page(request, MediaContactForm(instance=contact), contact)
    form = MediaContactForm(request.POST, instance=contact)
    if form.is_valid():
        try:
            updated = services.media_contact_update(
                actor=actor, media_contact=contact, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Media contact {updated.name} saved.")
            return redirect("pr:media_contact", pk=updated.pk)
    return _media_contact_form_page(request, form, contact, status=400)


# --- Press releases ----------------------------------------------------------------------------


@login_required
@require_GET
def release_list(request: HttpRequest) -> HttpResponse:
    listing = selectors.release_listing(request)
    context = {
        "listing": listing,
        "statuses": ReleaseStatus.choices,
        "campaigns": selectors.campaigns_for_pr(),
        "filtered": bool(listing.params.keys() - {"sort", "page"}),
    }
    return render(request, "pr/release_list.html", context)


def _render_release(
    request: HttpRequest, release: PressRelease, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {"detail": selectors.release_detail(release), "error": error}
    return render(request, "pr/release_detail.html", context, status=status)


def _release(pk: int) -> PressRelease:
    return get_object_or_404(PressRelease.objects.select_related("campaign", "created_by"), pk=pk)


@login_required
@require_GET
def release_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_release(request, _release(pk))


def _release_form_page(
    request: HttpRequest, form: PressReleaseForm, release: PressRelease | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "pr/release_form.html", {"form": form, "release": release}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def release_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        return _release_form_page(request, PressReleaseForm(), None)
    form = PressReleaseForm(request.POST)
    if form.is_valid():
        try:
            release = services.press_release_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Draft “{release.title}” created.")
            return redirect("pr:release", pk=release.pk)
    return _release_form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def release_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    release = _release(pk)
    if release.status != ReleaseStatus.DRAFT:
        messages.error(request, "Only draft releases can be edited.")
        return redirect("pr:release", pk=release.pk)
    if request.method != "POST":
        form = PressReleaseForm(initial=PressReleaseForm.initial_from(release))
        return _release_form_page(request, form, release)
    form = PressReleaseForm(request.POST)
    if form.is_valid():
        try:
            updated = services.press_release_update(
                actor=actor, release=release, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Release “{updated.title}” saved.")
            return redirect("pr:release", pk=updated.pk)
    return _release_form_page(request, form, release, status=400)


TRANSITION_DONE = {
    ReleaseStatus.REVIEW: "Submitted for review.",
    ReleaseStatus.APPROVED: "Approved. It can now be distributed.",
    ReleaseStatus.DRAFT: "Sent back to draft.",
}


@login_required
@require_POST
def release_transition(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    release = _release(pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _render_release(request, release, 400, "The status change was not understood.")
    to_status = form.cleaned_data["to_status"]
    try:
        services.press_release_transition(
            actor=actor, release=release, to_status=to_status, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        return _render_release(request, _release(pk), 400, " ".join(exc.messages))
    messages.success(request, TRANSITION_DONE.get(to_status, "Status changed."))
    return redirect("pr:release", pk=release.pk)


def _distribute_page(
    request: HttpRequest, release: PressRelease, form: DistributeForm, status: int = 200
) -> HttpResponse:
    selected = {
        int(value)
        for value in request.POST.getlist("recipients")
        if value.isdigit() and len(value) < 19
    }
    context = {
        "release": release,
        "form": form,
        "contacts": selectors.media_contacts_for_distribution(),
        "selected": selected,
    }
    return render(request, "pr/release_distribute.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def release_distribute(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    release = _release(pk)
    if release.status != ReleaseStatus.APPROVED:
        messages.error(request, "Only approved releases can be distributed.")
        return redirect("pr:release", pk=release.pk)
    if request.method != "POST":
        return _distribute_page(request, release, DistributeForm())
    form = DistributeForm(request.POST)
    if form.is_valid():
        try:
            services.press_release_distribute(
                actor=actor,
                release=release,
                recipients=list(form.cleaned_data["recipients"]),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            count = len(form.cleaned_data["recipients"])
            messages.success(
                request,
                f"Distribution recorded for {count} media contact{'s' if count != 1 else ''}.",
            )
            return redirect("pr:release", pk=release.pk)
    return _distribute_page(request, release, form, status=400)


# --- Coverage ----------------------------------------------------------------------------------


@login_required
@require_GET
def coverage_list(request: HttpRequest) -> HttpResponse:
    listing = selectors.coverage_listing(request)
    context = {
        "listing": listing,
        "sentiments": Sentiment.choices,
        "competitors": selectors.competitor_names(),
        "releases": selectors.releases_for_choice(),
        "campaigns": selectors.campaigns_for_pr(),
        "filtered": bool(listing.params.keys() - {"sort", "page"}),
    }
    return render(request, "pr/coverage_list.html", context)


def _coverage_form_page(
    request: HttpRequest, form: CoverageForm, coverage: Coverage | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "pr/coverage_form.html", {"form": form, "coverage": coverage}, status=status
    )


def _coverage_initial(request: HttpRequest) -> dict[str, Any]:
    """`?release=<id>` from a release page preselects it."""
    initial: dict[str, Any] = {"published_on": timezone.localdate()}
    release = request.GET.get("release", "")
    if release.isdigit() and len(release) < 19:
        initial["release"] = int(release)
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def coverage_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        return _coverage_form_page(request, CoverageForm(initial=_coverage_initial(request)), None)
    form = CoverageForm(request.POST)
    if form.is_valid():
        try:
            coverage = services.coverage_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Coverage “{coverage.title}” logged.")
            return redirect("pr:coverage")
    return _coverage_form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def coverage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    coverage = get_object_or_404(selectors.coverage_queryset(), pk=pk)
    if request.method != "POST":
        form = CoverageForm(initial=CoverageForm.initial_from(coverage))
        return _coverage_form_page(request, form, coverage)
    form = CoverageForm(request.POST)
    if form.is_valid():
        try:
            updated = services.coverage_update(actor=actor, coverage=coverage, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Coverage “{updated.title}” saved.")
            return redirect("pr:coverage")
    return _coverage_form_page(request, form, coverage, status=400)
