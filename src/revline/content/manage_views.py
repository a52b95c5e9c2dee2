"""Landing-page management for the team (the public pages live in views.py)."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.audience import sees_whole_audience
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import builder_selectors, selectors
from .blocks import FORM_ANCHOR, blocks_for_render, clean_blocks, editor_schema
from .builder_forms import SubmissionForm
from .forms import LandingPageForm, LeadCaptureForm
from .models import Form, LandingPage
from .services import active_link_tokens, landing_page_save

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
        selectors.landing_pages_with_counts(audience=sees_whole_audience(request.user)),  # type: ignore[arg-type]
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
    page = get_object_or_404(LandingPage.objects.select_related("campaign", "form"), pk=pk)
    context = {
        "detail": selectors.landing_page_detail(page, viewer=request.user),  # type: ignore[arg-type]
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
        add_service_errors(form, exc)
        return None


SETTINGS_FIELDS = (
    "title",
    "slug",
    "campaign",
    "form",
    "headline",
    "body",
    "cta_label",
    "success_message",
    "consent_purpose",
    "consent_wording_version",
    "consent_wording",
    "is_published",
)


def _form_page(
    request: HttpRequest, form: LandingPageForm, page: LandingPage | None, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "page": page,
        "base_url": settings.BASE_URL,
        "settings_fields": [form[name] for name in SETTINGS_FIELDS],
        "block_schema": editor_schema(builder_selectors.tracked_link_choices()),
    }
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


def _preview_page(post: QueryDict) -> LandingPage:
    """An unsaved page from the editor's current (possibly invalid) values, for the preview only."""
    form_id = post.get("form", "")
    builder_form = (
        Form.objects.filter(pk=int(form_id)).first()
        if form_id.isdigit() and len(form_id) < 12
        else None
    )
    return LandingPage(
        slug=post.get("slug", "")[:100],
        headline=post.get("headline", "")[:200],
        body=post.get("body", "")[:10_000],
        cta_label=post.get("cta_label", "")[:60],
        consent_wording=post.get("consent_wording", "")[:500],
        form=builder_form,
    )


@login_required
@require_POST
def page_preview(request: HttpRequest) -> HttpResponse:
    """The page as visitors would see it, from the editor's unsaved values; nothing is stored."""
    _marketer(request)
    page = _preview_page(request.POST)
    try:
        raw = json.loads(request.POST.get("blocks") or "[]")
    except (ValueError, RecursionError):
        raw, errors = [], ["Blocks: the JSON is not valid."]
    else:
        _blocks, errors = clean_blocks(
            raw, has_form=page.form is not None, link_tokens=active_link_tokens(raw)
        )
    if page.form is not None:
        form: object = SubmissionForm(
            form=page.form, fields=builder_selectors.form_fields(page.form), auto_id="preview_%s"
        )
    else:
        form = LeadCaptureForm(page=page, auto_id="preview_%s")
    context = {
        "page": page,
        "blocks": blocks_for_render(raw, has_form=page.form is not None),
        "form": form,
        "form_anchor": FORM_ANCHOR,
        "errors": errors,
        "preview": True,
    }
    return render(request, "content/_preview.html", context)
