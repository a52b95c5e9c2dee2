"""Landing-page management for the team (the public pages live in views.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from revline.core import permissions
from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import selectors
from .forms import LandingPageForm
from .models import LandingPage
from .services import landing_page_save

COLUMNS = [
    Column("title", "Page", "title"),
    Column("slug", "Public page", "slug"),
    Column("campaign", "Campaign", "campaign__name"),
    Column("status", "Status", "is_published"),
    Column("submissions", "Submissions", "submission_count"),
    Column("updated", "Updated", "updated_at"),
]


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user), "Only marketers and admins manage landing pages."
    )
    return user


@login_required
@require_GET
def page_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request,
        selectors.landing_pages_with_counts(),
        columns=COLUMNS,
        search_fields=("title", "slug", "headline"),
        filters={"campaign": "campaign_key", "status": "state"},
        default_sort="title",
    )
    context = {
        "listing": listing,
        "campaigns": selectors.landing_page_campaigns(),
        "filtered": any(listing.params.get(k) for k in ("q", "campaign", "status")),
        "base_url": settings.BASE_URL,
    }
    return render(request, "content/manage_list.html", context)


@login_required
@require_GET
def page_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_object_or_404(LandingPage.objects.select_related("campaign"), pk=pk)
    context = {
        "detail": selectors.landing_page_detail(page),
        "page": page,
        "base_url": settings.BASE_URL,
    }
    return render(request, "content/manage_detail.html", context)


def _save(form: LandingPageForm, actor: User) -> LandingPage | None:
    """Save through the service; its validation errors land on the form. None when not saved."""
    if not form.is_valid():
        return None
    try:
        return landing_page_save(actor=actor, page=form.instance)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return None
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None


def _form_page(
    request: HttpRequest, form: LandingPageForm, page: LandingPage | None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "page": page, "base_url": settings.BASE_URL}
    return render(request, "content/manage_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def page_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        campaign = request.GET.get("campaign", "")
        initial = {"campaign": int(campaign)} if campaign.isdigit() else {}
        return _form_page(request, LandingPageForm(initial=initial), None)
    form = LandingPageForm(request.POST)
    if (saved := _save(form, actor)) is not None:
        messages.success(request, f"Landing page “{saved.title}” created.")
        return redirect("content:page_detail", pk=saved.pk)
    return _form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def page_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    page = get_object_or_404(LandingPage, pk=pk)
    if request.method != "POST":
        return _form_page(request, LandingPageForm(instance=page), page)
    # The form writes into a fresh copy, so a rejected edit leaves `page` (the heading) as stored.
    form = LandingPageForm(request.POST, instance=LandingPage.objects.get(pk=page.pk))
    if (saved := _save(form, actor)) is not None:
        messages.success(request, f"Landing page “{saved.title}” saved.")
        return redirect("content:page_detail", pk=saved.pk)
    return _form_page(request, form, page, status=400)
