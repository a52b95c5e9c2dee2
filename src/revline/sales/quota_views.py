"""The quotas page: a year's grid of monthly or quarterly quotas per rep."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from revline.core.models import User

from . import quota_selectors, quota_services
from .forecast_forms import QuotaYearForm

DENIED = "You can only set quotas of your own team."


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _parse_key(key: str) -> tuple[int, date] | None:
    try:
        _, user_id, start = key.split("-", 2)
        return int(user_id), date.fromisoformat(start)
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def quotas(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    year_form = QuotaYearForm(request.POST if request.method == "POST" else request.GET)
    year, period = year_form.chosen(timezone.localdate())
    grid = quota_selectors.quota_grid(actor=user, year=year, period=period)
    posted: dict[str, str] = {}
    errors: dict[str, str] = {}
    general: list[str] = []
    if request.method == "POST":
        editable = {row.user.pk: row.user for row in grid.rows if row.editable}
        starts = {start for start, _ in grid.columns}
        entries = []
        for key in request.POST:
            raw = request.POST.get(key, "")
            if not key.startswith("amount-"):
                continue
            parsed = _parse_key(key)
            if parsed is None or parsed[1] not in starts:
                general.append("The form was out of date; reload the page and try again.")
                continue
            if parsed[0] not in editable:
                raise PermissionDenied(DENIED)
            value = raw.strip()
            posted[key] = value
            amount: Decimal | None = None
            if value:
                try:
                    amount = Decimal(value)
                except InvalidOperation:
                    errors[key] = "Enter an amount such as 25000 or 25000.50."
                    continue
                if message := quota_services.quota_amount_error(amount):
                    errors[key] = message
                    continue
            entries.append(
                quota_services.QuotaEntry(
                    user=editable[parsed[0]], period_start=parsed[1], amount=amount
                )
            )
        if not errors and not general:
            try:
                changed = quota_services.quotas_save(actor=user, period=period, entries=entries)
            except ValidationError as error:
                general.extend(error.messages)
            else:
                messages.success(
                    request, f"Quotas saved ({changed} change{'s' if changed != 1 else ''})."
                )
                return redirect(f"{reverse('sales:quotas')}?year={year}&period={period}")
    context = {
        "grid": grid,
        "year_form": year_form,
        "years": range(grid.year - 2, grid.year + 3),
        "posted": posted,
        "errors": errors,
        "general": general,
    }
    status = 400 if errors or general else 200
    return render(request, "sales/quotas.html", context, status=status)
