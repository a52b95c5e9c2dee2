"""The buyer's quote page behind an unguessable link: view, download the PDF, accept."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from revline.core.forms import add_service_errors
from revline.core.ratelimit import public_rate_limit
from revline.core.workspace import workspace_get

from . import pdf, quote_selectors, quote_services
from .models import QuoteStatus, QuoteVersion
from .quote_forms import AcceptForm

# Only what was sent is public: drafts and approvals never have a token.
PUBLIC_STATUSES = {QuoteStatus.SENT, QuoteStatus.ACCEPTED, QuoteStatus.SUPERSEDED}


def _public_version(token: str) -> QuoteVersion:
    version = quote_selectors.version_for_token(token)
    if version is None or version.status not in PUBLIC_STATUSES:
        raise Http404("Unknown quote")
    return version


def _state(version: QuoteVersion) -> str:
    if version.status == QuoteStatus.ACCEPTED:
        return "accepted"
    if version.status == QuoteStatus.SUPERSEDED:
        return "superseded"
    if version.valid_until is not None and version.valid_until < timezone.localdate():
        return "expired"
    return "open"


def _page(
    request: HttpRequest, version: QuoteVersion, form: AcceptForm, status: int = 200
) -> HttpResponse:
    context = {
        "version": version,
        "quote": version.quote,
        "workspace": workspace_get(),
        "state": _state(version),
        "form": form,
    }
    return render(request, "quotes/public_quote.html", context, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
@public_rate_limit("quote")
def public_quote(request: HttpRequest, token: str) -> HttpResponse:
    version = _public_version(token)
    if request.method != "POST":
        return _page(request, version, AcceptForm())
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            quote_services.version_accept(
                version=version,
                name=form.cleaned_data["name"],
                agreed=form.cleaned_data["agree"],
                ip=request.META.get("REMOTE_ADDR") or None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("quotes:public_quote", token=token)
    version.refresh_from_db()
    return _page(request, version, form, status=400)


@require_GET
@never_cache
@public_rate_limit("quote")
def public_quote_pdf(request: HttpRequest, token: str) -> HttpResponse:
    version = _public_version(token)
    if _state(version) in ("superseded", "expired"):
        raise Http404("This quote is no longer available")
    return pdf.pdf_response(version, inline=False)
