"""Creative pages: create and edit a creative of a campaign, and see what it brought in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User

from . import creative_selectors, creative_services
from .creative_forms import CreativeForm
from .models import Campaign, Creative, CtaAction


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.can_manage_marketing(user), creative_services.MARKETERS_ONLY)
    return user


def _creative(pk: int) -> Creative:
    creative = creative_selectors.creative_get(pk)
    if creative is None:
        raise Http404("No such creative")
    return creative


def _form_page(
    request: HttpRequest,
    form: CreativeForm,
    campaign: Campaign,
    creative: Creative | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "campaign": campaign,
        "creative": creative,
        "actions": CtaAction,
    }
    return render(request, "campaigns/creative_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def creative_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    campaign = get_object_or_404(Campaign, pk=pk)
    if request.method != "POST":
        form = CreativeForm(campaign=campaign, initial={"cta_action": CtaAction.FORM})
        return _form_page(request, form, campaign, None)
    form = CreativeForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            creative = creative_services.creative_create(
                actor=actor, campaign=campaign, **form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Creative “{creative.name}” created. Put its tracked link in the ad."
            )
            return redirect("campaigns:creative", pk=creative.pk)
    return _form_page(request, form, campaign, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def creative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    creative = _creative(pk)
    if request.method != "POST":
        form = CreativeForm(
            campaign=creative.campaign,
            creative=creative,
            initial=CreativeForm.initial_from(creative),
        )
        return _form_page(request, form, creative.campaign, creative)
    form = CreativeForm(
        request.POST,
        campaign=creative.campaign,
        creative=creative,
        initial=CreativeForm.initial_from(creative),
    )
    if form.is_valid():
        try:
            updated = creative_services.creative_update(
                actor=actor, creative=creative, **form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Creative “{updated.name}” saved.")
            return redirect("campaigns:creative", pk=updated.pk)
    return _form_page(request, form, creative.campaign, creative, status=400)


@login_required
@require_GET
def creative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    creative = _creative(pk)
    context = {
        "creative": creative,
        "campaign": creative.campaign,
        "detail": creative_selectors.creative_detail(creative, viewer=request.user),  # type: ignore[arg-type]
    }
    return render(request, "campaigns/creative_detail.html", context)
