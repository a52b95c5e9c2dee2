"""The forecast page and the inline change of a deal's forecast category."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from revline.core.models import User

from . import forecast_selectors, forecast_services, selectors
from .forecast_forms import ForecastCategoryForm, ForecastFilterForm
from .models import ForecastCategory


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _chart(page: forecast_selectors.ForecastPage) -> dict[str, Any]:
    periods = page.backtest.periods
    return {
        "labels": [p.label for p in periods],
        "actual": [float(p.actual) for p in periods],
        "configured": [float(p.forecast_configured) for p in periods],
        "calibrated": [float(p.forecast_calibrated) for p in periods],
        "currency": page.currency,
    }


@login_required
@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ForecastFilterForm(request.GET or None, user=user)
    form.is_valid()
    page = forecast_selectors.forecast_page(
        user=user, period=form.chosen_period(), **form.filters()
    )
    context = {
        "form": form,
        "page": page,
        "chart": _chart(page),
        "categories": ForecastCategory.choices,
        "here": request.get_full_path(),
    }
    return render(request, "sales/forecast.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def deal_forecast_category(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    deal = get_object_or_404(
        selectors.deals_visible_to(user, selectors.deals_queryset()).select_related("owner__team"),
        pk=pk,
    )
    form = ForecastCategoryForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose a forecast category from the list.")
    try:
        forecast_services.deal_forecast_category_set(
            actor=user, deal=deal, category=form.cleaned_data["forecast_category"]
        )
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    target = form.cleaned_data.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("sales:forecast")
    if not request.headers.get("HX-Request"):
        messages.success(
            request, f"{deal.name} is now in {deal.get_forecast_category_display().lower()}."
        )
    return redirect(target)
