from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.people.exports import csv_lines, csv_response
from revline.sales.models import Competitor, Deal
from revline.sales.selectors import deals_queryset
from revline.sales.visibility import deals_visible_to

from . import report, selectors, services
from .forms import CompetitorForm, CompetitorReportForm, DealCompetitorForm

LIST_COLUMNS = [
    Column("name", "Competitor", "name"),
    Column("website", "Website", "website"),
    Column("involved", "Deals involved", "involved"),
    Column("won", "Won", "won_deals"),
    Column("lost", "Lost", "lost_deals"),
    Column("win_rate", "Win rate", "win_rate"),
    Column("updated", "Updated", "updated_at"),
]
DEAL_COLUMNS = [
    Column("name", "Deal", "name"),
    Column("status", "Status", "status"),
    Column("amount", "Amount", "amount_base"),
    Column("owner", "Owner", "owner__first_name"),
    Column("closed", "Closed", "closed_at"),
    Column("created", "Created", "created_at"),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _editor(request: HttpRequest) -> User:
    user = _user(request)
    permissions.require(services.can_edit_competitors(user), services.COMPETITORS_DENIED)
    return user


# ---------------------------------------------------------------- list, page, form


@login_required
@require_GET
def competitor_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_listing(
        request,
        selectors.competitors_with_counts(user),
        columns=LIST_COLUMNS,
        search_fields=("name", "website", "positioning"),
        default_sort="name",
    )
    context = {
        "listing": listing,
        "filtered": bool(listing.query),
        "can_edit": services.can_edit_competitors(user),
    }
    return render(request, "competitors/list.html", context)


@login_required
@require_GET
def competitor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    competitor = get_object_or_404(Competitor, pk=pk)
    deals = build_listing(
        request,
        selectors.competitor_deals(user, competitor),
        columns=DEAL_COLUMNS,
        search_fields=("name", "company__name"),
        default_sort="-created",
        page_size=15,
    )
    context = {
        "competitor": competitor,
        "page": selectors.competitor_page(user, competitor),
        "listing": deals,
        "can_edit": services.can_edit_competitors(user),
    }
    return render(request, "competitors/detail.html", context)


@login_required
@require_GET
def competitor_battlecard(request: HttpRequest, pk: int) -> HttpResponse:
    """The battlecard alone, laid out for printing."""
    competitor = get_object_or_404(Competitor, pk=pk)
    return render(request, "competitors/battlecard_print.html", {"competitor": competitor})


def _form_page(request: HttpRequest, *, competitor: Competitor | None) -> HttpResponse:
    user = _editor(request)
    initial = CompetitorForm.initial_for(competitor) if competitor else None
    form = CompetitorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if competitor is None:
                competitor = services.competitor_create(actor=user, **form.cleaned_data)
            else:
                services.competitor_update(actor=user, competitor=competitor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Competitor “{competitor.name}” saved.")
            return redirect("competitors:detail", pk=competitor.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "competitors/form.html", {"form": form, "competitor": competitor}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def competitor_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, competitor=None)


@login_required
@require_http_methods(["GET", "POST"])
def competitor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, competitor=get_object_or_404(Competitor, pk=pk))


# ---------------------------------------------------------------- the report


def _report(request: HttpRequest) -> tuple[CompetitorReportForm, report.CompetitorReport]:
    form = CompetitorReportForm(request.GET or None)
    form.is_valid()
    start, end = form.bounds()
    scope = selectors.ReportScope(
        pipeline=form.value("pipeline"),
        owner=form.value("owner"),
        team=form.value("team"),
        start=start,
        end=end,
    )
    return form, selectors.win_loss_report(_user(request), scope)


@login_required
@require_GET
def competitor_report(request: HttpRequest) -> HttpResponse:
    form, result = _report(request)
    context = {
        "form": form,
        "report": result,
        "chart": result.chart,
        "filtered": any(form.value(k) for k in form.fields),
        "query": request.GET.urlencode(),
    }
    return render(request, "competitors/report.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def competitor_report_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, result = _report(request)
    if form.errors:
        return HttpResponse("Fix the report filters first.", status=400, content_type="text/plain")
    lines = csv_lines(report.csv_header(settings.CURRENCY), report.csv_rows(result))
    return csv_response(lines, "competitor-win-loss.csv")


# ---------------------------------------------------------------- on a deal


def _deal_or_404(request: HttpRequest, pk: int) -> Deal:
    """The deal if the user may see it; a deal of another team is a 404, like a missing one."""
    deals = deals_visible_to(_user(request), deals_queryset())
    return get_object_or_404(deals.select_related("owner__team"), pk=pk)


def _editable_deal(request: HttpRequest, pk: int) -> Deal:
    deal = _deal_or_404(request, pk)
    permissions.require(permissions.can_edit_deal(_user(request), deal), services.DEAL_DENIED)
    return deal


def _render_panel(
    request: HttpRequest,
    deal: Deal,
    *,
    form: DealCompetitorForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    can_edit = permissions.can_edit_deal(_user(request), deal)
    choices = selectors.competitors_to_add(deal)
    context: dict[str, Any] = {
        "deal": deal,
        "competitors": selectors.deal_competitors(deal),
        "form": form or DealCompetitorForm(choices=choices),
        "has_choices": choices.exists(),
        "can_edit": can_edit,
        "error": error,
    }
    if _is_htmx(request):
        # htmx swaps 2xx answers only: a refusal comes back as 200 and shows in place.
        return render(request, "competitors/partials/deal_panel.html", context)
    return render(request, "competitors/deal_competitors.html", context, status=status)


@login_required
@require_GET
def deal_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_panel(request, _deal_or_404(request, pk))


@login_required
@require_POST
def deal_competitor_add(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    form = DealCompetitorForm(request.POST)
    if not form.is_valid():
        return _render_panel(request, deal, form=form, status=400)
    competitor = form.cleaned_data["competitor"]
    added = services.deal_competitor_add(actor=_user(request), deal=deal, competitor=competitor)
    if _is_htmx(request):
        return _render_panel(request, deal)
    messages.success(
        request,
        f"{competitor.name} is now on this deal."
        if added
        else f"{competitor.name} was already on this deal.",
    )
    return redirect("sales:deal", pk=deal.pk)


@login_required
@require_POST
def deal_competitor_remove(request: HttpRequest, pk: int, competitor_pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    competitor = get_object_or_404(Competitor, pk=competitor_pk)
    try:
        services.deal_competitor_remove(actor=_user(request), deal=deal, competitor=competitor)
    except ValidationError as exc:
        return _render_panel(request, deal, error=" ".join(exc.messages), status=400)
    if _is_htmx(request):
        return _render_panel(request, deal)
    messages.success(request, f"{competitor.name} was taken off this deal.")
    return redirect("sales:deal", pk=deal.pk)
