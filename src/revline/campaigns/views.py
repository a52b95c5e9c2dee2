from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.tracking.services import link_create

from . import selectors, services, spend_selectors
from .creative_selectors import creatives_for_campaign
from .forms import AdSpendForm, CampaignForm, TrackedLinkForm
from .models import Campaign, CampaignStatus, Channel
from .services import CHANNEL_UTM_DEFAULTS

COLUMNS = [
    Column("name", "Name", "name"),
    Column("channel", "Channel", "channel"),
    Column("start", "Dates", "start_date"),
    Column("budget", "Budget", "budget"),
    Column("spend", "Spend", "cost"),
    Column("leads", "Leads", "leads"),
    Column("cpl", "Cost / lead"),
    Column("pipeline", "Pipeline", "pipeline"),
    Column("won", "Won revenue", "won_revenue"),
    Column("roas", "ROAS"),
]


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user), "Only marketers and admins manage campaigns."
    )
    return user


def _warn(request: HttpRequest, campaign: Campaign) -> None:
    for warning in selectors.campaign_utm_warnings(campaign):
        messages.warning(request, warning)


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    viewer: User = request.user  # type: ignore[assignment]
    listing = build_listing(
        request,
        selectors.campaigns_with_metrics(viewer=viewer),
        columns=COLUMNS,
        search_fields=("name", "utm_campaign"),
        filters={"channel": "channel", "status": "status", "owner": "owner__username"},
        default_sort="-start",
    )
    context = {
        "listing": listing,
        "ratios": selectors.list_ratios(list(listing.page)),
        "channels": Channel.choices,
        "statuses": CampaignStatus.choices,
        "owners": selectors.campaign_owners(),
        "filtered": any(listing.params.get(k) for k in ("q", "channel", "status", "owner")),
        "team_only": selectors.team_only(viewer),
    }
    return render(request, "campaigns/list.html", context)


def _render_detail(
    request: HttpRequest,
    campaign: Campaign,
    *,
    link_form: TrackedLinkForm | None = None,
    spend_form: AdSpendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer: User = request.user  # type: ignore[assignment]
    context = {
        "detail": selectors.campaign_detail(campaign, viewer=viewer),
        "campaign": campaign,
        "link_form": link_form or TrackedLinkForm(),
        "spend_form": spend_form or AdSpendForm(campaign=campaign),
        "spend_page": spend_selectors.campaign_spend_page(campaign, request.GET.get("spend_page")),
        "creatives": creatives_for_campaign(campaign=campaign, viewer=viewer),
        "base_url": settings.BASE_URL,
    }
    return render(request, "campaigns/detail.html", context, status=status)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    return _render_detail(request, campaign)


@login_required
@require_POST
def spend_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    form = AdSpendForm(request.POST, campaign=campaign)
    if form.is_valid():
        data = form.cleaned_data
        try:
            row, created = services.ad_spend_record(
                actor=actor,
                campaign=campaign,
                day=data["date"],
                spend=data["spend"],
                currency=data["currency"],
                impressions=data["impressions"],
                clicks=data["clicks"],
                creative=data["creative"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            verb = "recorded" if created else "replaced (that day already had a row)"
            messages.success(request, f"Spend for {date_format(row.date, 'M j, Y')} {verb}.")
            return redirect(reverse("campaigns:detail", args=[campaign.pk]) + "#spend")
    return _render_detail(request, campaign, spend_form=form, status=400)


def _form_page(
    request: HttpRequest, form: CampaignForm, campaign: Campaign | None, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "campaign": campaign,
        "utm_defaults": {k: list(v) for k, v in CHANNEL_UTM_DEFAULTS.items()},
    }
    return render(request, "campaigns/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        form = CampaignForm(initial={"currency": settings.CURRENCY, "owner": actor.pk})
        return _form_page(request, form, None)
    form = CampaignForm(request.POST)
    if form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        try:
            campaign = services.campaign_create(actor=actor, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Campaign “{campaign.name}” created.")
            _warn(request, campaign)
            return redirect("campaigns:detail", pk=campaign.pk)
    return _form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    campaign = get_object_or_404(Campaign, pk=pk)
    if request.method != "POST":
        return _form_page(
            request, CampaignForm(initial=CampaignForm.initial_from(campaign)), campaign
        )
    form = CampaignForm(request.POST)
    if form.is_valid():
        try:
            updated = services.campaign_update(actor=actor, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Campaign “{updated.name}” saved.")
            _warn(request, updated)
            return redirect("campaigns:detail", pk=updated.pk)
    return _form_page(request, form, campaign, status=400)


@login_required
@require_POST
def link_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    form = TrackedLinkForm(request.POST)
    if form.is_valid():
        try:
            link = link_create(actor=actor, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Tracked link “{link}” created.")
            return redirect(reverse("campaigns:detail", args=[campaign.pk]) + "#links")
    return _render_detail(request, campaign, link_form=form, status=400)
