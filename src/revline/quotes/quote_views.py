"""Quote pages for the team: the deal's quotes panel, the editor, versions, approvals, PDFs."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User
from revline.core.workspace import workspace_get
from revline.sales.models import Deal
from revline.sales.selectors import deals_queryset, deals_visible_to

from . import pdf, quote_selectors, quote_services
from .diff import version_diff
from .models import QuoteApproval, QuoteStatus, QuoteVersion
from .quote_forms import DecisionForm, LineFormSet, QuoteNewForm, SendForm, VersionForm


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _deal_or_404(request: HttpRequest, pk: int) -> Deal:
    deals = deals_visible_to(_user(request), deals_queryset())
    return get_object_or_404(deals.select_related("owner__team"), pk=pk)


def _quote_or_404(request: HttpRequest, pk: int) -> Any:
    quote = quote_selectors.quote_visible(_user(request), pk)
    if quote is None:
        raise Http404("Unknown quote")
    return quote


def _version_or_404(quote: Any, number: int) -> QuoteVersion:
    return get_object_or_404(
        QuoteVersion.objects.select_related("quote"), quote=quote, number=number
    )


def _editable(request: HttpRequest, pk: int, number: int) -> tuple[Any, QuoteVersion]:
    quote = _quote_or_404(request, pk)
    permissions.require(
        permissions.can_edit_deal(_user(request), quote.deal), quote_services.EDIT_DENIED
    )
    return quote, _version_or_404(quote, number)


@login_required
@require_GET
def deal_quotes_panel(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal_or_404(request, pk)
    context = {
        "deal": deal,
        "rows": quote_selectors.deal_quotes(deal),
        "can_edit": permissions.can_edit_deal(_user(request), deal),
    }
    return render(request, "quotes/deal_quotes_panel.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def quote_new(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("deal", "")
    if not raw.isdigit():
        raise Http404("Choose the deal to quote from the deal's page.")
    deal = _deal_or_404(request, int(raw))
    actor = _user(request)
    permissions.require(permissions.can_edit_deal(actor, deal), quote_services.EDIT_DENIED)
    if request.method != "POST":
        form = QuoteNewForm(initial={"title": deal.name, "currency": deal.currency})
        return render(request, "quotes/quote_new.html", {"form": form, "deal": deal})
    form = QuoteNewForm(request.POST)
    if form.is_valid():
        try:
            quote = quote_services.quote_create(actor=actor, deal=deal, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Quote {quote.number} created. Add its lines.")
            return redirect("quotes:quote", pk=quote.pk)
    return render(request, "quotes/quote_new.html", {"form": form, "deal": deal}, status=400)


def _version_initial(version: QuoteVersion) -> dict[str, Any]:
    return {
        "title": version.quote.title,
        "currency": version.currency,
        "price_book": version.price_book_id,
        "discount_percent": version.discount_percent,
        "tax_percent": version.tax_percent,
        "valid_until": version.valid_until,
        "terms": version.terms,
    }


def _lines_initial(version: QuoteVersion) -> list[dict[str, Any]]:
    return [
        {
            "product": line.product_id,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
        }
        for line in version.lines.all()
    ]


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else None


def _render_quote(
    request: HttpRequest,
    quote: Any,
    *,
    number: int | None = None,
    form: VersionForm | None = None,
    formset: Any = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    versions = quote_selectors.quote_versions(quote)
    by_number = {v.number: v for v in versions}
    current = by_number.get(number or 0) or versions[0]
    can_edit = permissions.can_edit_deal(user, quote.deal)
    editable = can_edit and current.status == QuoteStatus.DRAFT and current is versions[0]
    if editable and form is None:
        form = VersionForm(initial=_version_initial(current))
        formset = LineFormSet(prefix="lines", initial=_lines_initial(current))
    # Compare the shown version with the one before it unless asked otherwise (?a=&b=).
    newer = by_number.get(_int_param(request, "b") or current.number, current)
    older = by_number.get(_int_param(request, "a") or newer.number - 1)
    diff = None
    if older is not None and older.number != newer.number:
        diff = version_diff(
            quote_selectors.version_snapshot(older), quote_selectors.version_snapshot(newer)
        )
    workspace = workspace_get()
    needs_approval = quote_services.version_needs_approval(current)
    context = {
        "quote": quote,
        "deal": quote.deal,
        "versions": versions,
        "current": current,
        "latest": versions[0],
        "can_edit": can_edit,
        "editable": editable,
        "form": form,
        "formset": formset,
        "send_form": SendForm(),
        "needs_approval": needs_approval,
        "threshold": workspace.quote_approval_discount,
        "diff": diff,
        "older": older,
        "newer": newer,
        "error": error,
        "can_approve": permissions.can_approve_quote(user, quote.deal.owner),
        "pending_approval": next(
            (a for a in current.approvals.all() if a.decision == "pending"), None
        ),
        "price_map": quote_selectors.price_map(
            currency=current.currency, price_book=current.price_book, on=timezone.localdate()
        )
        if editable
        else {},
        "decision_form": DecisionForm(),
    }
    return render(request, "quotes/quote_detail.html", context, status=status)


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _quote_or_404(request, pk)
    return _render_quote(request, quote, number=_int_param(request, "v"))


@login_required
@require_POST
def version_save(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    quote, version = _editable(request, pk, number)
    form = VersionForm(request.POST)
    formset = LineFormSet(request.POST, prefix="lines")
    if form.is_valid() and formset.is_valid():
        lines = [
            quote_services.LineInput(
                product=data["product"],
                name=data.get("name") or "",
                quantity=data["quantity"],
                unit_price=data.get("unit_price"),
                discount_percent=data["discount_percent"],
            )
            for line_form in formset.forms
            if line_form.has_changed()
            and (data := line_form.cleaned_data)
            and not data.get("DELETE")
        ]
        try:
            quote_services.version_save(
                actor=_user(request), version=version, lines=lines, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Version {version.number} saved.")
            return redirect("quotes:quote", pk=quote.pk)
    return _render_quote(request, quote, number=number, form=form, formset=formset, status=400)


def _action(request: HttpRequest, pk: int, number: int, run: Any, done: str) -> HttpResponse:
    quote, version = _editable(request, pk, number)
    try:
        result = run(version)
    except ValidationError as exc:
        return _render_quote(
            request, quote, number=number, error=" ".join(exc.messages), status=400
        )
    messages.success(request, done.format(version=result))
    return redirect(f"{quote_url(quote.pk)}?v={result.number}")


def quote_url(pk: int) -> str:
    from django.urls import reverse

    return reverse("quotes:quote", args=[pk])


@login_required
@require_POST
def version_request_approval(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    def run(version: QuoteVersion) -> QuoteVersion:
        quote_services.version_request_approval(actor=_user(request), version=version)
        return version

    return _action(request, pk, number, run, "Approval requested for version {version.number}.")


@login_required
@require_POST
def version_send(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    form = SendForm(request.POST)
    email = form.is_valid() and form.cleaned_data["email_to_contact"]

    def run(version: QuoteVersion) -> QuoteVersion:
        return quote_services.version_send(
            actor=_user(request),
            version=version,
            email_to_contact=bool(email),
            site_url=request.build_absolute_uri("/"),
        )

    done = "Version {version.number} sent." + (
        " The link was emailed to the contact." if email else ""
    )
    return _action(request, pk, number, run, done)


@login_required
@require_POST
def version_revise(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    def run(version: QuoteVersion) -> QuoteVersion:
        return quote_services.version_revise(actor=_user(request), version=version)

    return _action(request, pk, number, run, "Version {version.number} created as a draft.")


@login_required
@require_GET
def version_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    quote = _quote_or_404(request, pk)
    version = _version_or_404(quote, number)
    return pdf.pdf_response(version, inline=True)


def _approvals_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = _user(request)
    context = {
        "pending": quote_selectors.pending_approvals_for(user),
        "recent": quote_selectors.recent_decisions_for(user),
        "error": error,
    }
    return render(request, "quotes/approvals.html", context, status=status)


@login_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    return _approvals_page(request)


@login_required
@require_POST
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    approval = get_object_or_404(
        QuoteApproval.objects.select_related("version__quote__deal__owner"), pk=pk
    )
    user = _user(request)
    # A manager of another team gets a 403 and nothing changes.
    if not permissions.can_approve_quote(user, approval.version.quote.deal.owner):
        raise PermissionDenied(quote_services.APPROVE_DENIED)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _approvals_page(request, error="Choose approve or reject.", status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        quote_services.approval_decide(
            actor=user, approval=approval, approve=approve, comment=form.cleaned_data["comment"]
        )
    except ValidationError as exc:
        return _approvals_page(request, error=" ".join(exc.messages), status=400)
    version = approval.version
    decision = "approved" if approve else "rejected"
    messages.success(request, f"Quote {version.quote.number} v{version.number} {decision}.")
    if request.POST.get("back") == "quote":
        return redirect(f"{quote_url(version.quote_id)}?v={version.number}")
    return redirect("quotes:approvals")
