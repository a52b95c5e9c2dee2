from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User

from . import exports, import_selectors, import_services
from . import import_parsing as parsing
from .forms import CompanyFilterForm, ContactFilterForm
from .import_forms import ImportMappingForm, ImportUploadForm
from .import_services import RUNNING, can_change_import, import_max_bytes
from .models import ContactImport, ImportKind, ImportStatus
from .selectors import company_filter_options, contact_filter_options


def _people_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.can_edit_people(user), "You cannot work with contacts.")
    return user


def _import_or_404(pk: int) -> ContactImport:
    imp = import_selectors.contact_import_get(pk=pk)
    if imp is None:
        raise Http404("No such import.")
    return imp


# --- Imports -----------------------------------------------------------------------------------


@login_required
@require_GET
def imports(request: HttpRequest) -> HttpResponse:
    _people_user(request)
    listing = import_selectors.contact_import_listing(request)
    context = {
        "listing": listing,
        "statuses": ImportStatus.choices,
        "kinds": ImportKind.choices,
        "filtered": bool(listing.params.keys() - {"sort", "page"}),
    }
    return render(request, "people/import_list.html", context)


def _render_upload(request: HttpRequest, form: ImportUploadForm, status: int = 200) -> HttpResponse:
    return render(request, "people/import_new.html", {"form": form}, status=status)


@csrf_protect
def _import_new(request: HttpRequest) -> HttpResponse:
    user = _people_user(request)
    if request.method != "POST":
        kind = request.GET.get("kind")
        initial = {"kind": kind} if kind in ImportKind.values else {}
        return _render_upload(request, ImportUploadForm(initial=initial))
    form = ImportUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imp = import_services.contact_import_create(
                actor=user, kind=form.cleaned_data["kind"], file_name=upload.name, source=upload
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("people:import", pk=imp.pk)
    return _render_upload(request, form, status=400)


@csrf_exempt  # CSRF is checked by _import_new, after the size check below
@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    """Refuse an upload that is too large from its Content-Length, before Django receives it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if request.method == "POST" and length > import_max_bytes() + 1024 * 1024:
        _people_user(request)
        # Django has not read the body: show the form bound to nothing, with the reason.
        form = ImportUploadForm({"kind": ImportKind.CONTACTS})
        form.is_valid()
        form.errors["file"] = form.error_class(
            [f"The file is larger than {parsing.size_text(import_max_bytes())}."]
        )
        return _render_upload(request, form, status=413)
    return _import_new(request)


def _render_import(
    request: HttpRequest, imp: ContactImport, form: ImportMappingForm | None = None,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    user: User = request.user  # type: ignore[assignment]
    if form is None and imp.status in import_services.CONFIGURABLE:
        form = ImportMappingForm(contact_import=imp)
    context = {
        "imp": imp,
        "form": form,
        "can_change": can_change_import(user, imp),
        "running": imp.status in RUNNING,
        "waiting": imp.status in RUNNING and import_selectors.import_waiting_for_worker(imp),
        "more_errors": max(0, imp.rows_bad - len(imp.errors)),
        "good_rows": imp.rows_total - imp.rows_bad,
    }
    return render(request, "people/import_detail.html", context, status=status)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _people_user(request)
    return _render_import(request, _import_or_404(pk))


@login_required
@require_POST
def import_configure(request: HttpRequest, pk: int) -> HttpResponse:
    user = _people_user(request)
    imp = _import_or_404(pk)
    permissions.require(can_change_import(user, imp))
    form = ImportMappingForm(request.POST, contact_import=imp)
    if form.is_valid():
        try:
            import_services.contact_import_configure(
                actor=user, contact_import=imp, **form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Mapping saved. The dry run checks every row now.")
            return redirect("people:import", pk=imp.pk)
    return _render_import(request, imp, form, status=400)


def _action(request: HttpRequest, pk: int, service: str, done: str) -> HttpResponse:
    user = _people_user(request)
    imp = _import_or_404(pk)
    try:
        getattr(import_services, service)(actor=user, contact_import=imp)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        imp.refresh_from_db()
        return _render_import(request, imp, status=400)
    messages.success(request, done)
    return redirect("people:import", pk=imp.pk)


@login_required
@require_POST
def import_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, "contact_import_start", "The import has started.")


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, "contact_import_cancel", "The import was cancelled.")


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by htmx every second; once the pass ends the page reloads."""
    _people_user(request)
    imp = _import_or_404(pk)
    running = imp.status in RUNNING
    waiting = running and import_selectors.import_waiting_for_worker(imp)
    response = render(
        request,
        "people/import_progress.html",
        {"imp": imp, "running": running, "waiting": waiting},
    )
    if not running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def import_bad_rows(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    """All bad rows of a checked import as CSV: line, reason, then the row as uploaded."""
    _people_user(request)
    imp = _import_or_404(pk)
    if not imp.rows_bad or imp.status in (ImportStatus.UPLOADED, ImportStatus.CHECKING):
        messages.error(request, "There is no list of bad rows for this import yet.")
        return redirect("people:import", pk=imp.pk)
    try:
        first = import_services.contact_import_bad_rows(imp=imp)
        peeked = next(first, None)
    except (parsing.ImportFileError, OSError) as exc:
        messages.error(request, f"The uploaded file cannot be read again: {exc}")
        return redirect("people:import", pk=imp.pk)

    def rows() -> Iterator[list[Any]]:
        if peeked is not None:
            yield [peeked[0], peeked[1], *peeked[2]]
        for line, reason, cells in first:
            yield [line, reason, *cells]

    header = ["line", "what is wrong", *imp.headers]
    return exports.csv_response(
        exports.csv_lines(header, rows()), filename=f"import-{imp.pk}-bad-rows.csv"
    )


# --- Exports -----------------------------------------------------------------------------------


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


@login_required
@require_GET
def contacts_export(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    """The contact list as CSV, with the list page's search, filters and sort."""
    user = _people_user(request)
    company = request.GET.get("company", "")
    options = contact_filter_options(
        selected_company=int(company) if company.isdigit() else None, viewer=user
    )
    form = ContactFilterForm(request.GET, options=options)
    form.is_valid()
    contacts = import_selectors.contact_export_queryset(
        request, viewer=user, skip_filters=form.errors.keys()
    )
    return exports.contacts_csv_response(
        contacts=contacts, viewer=user, filename=f"contacts-{_stamp()}.csv"
    )


@login_required
@require_GET
def companies_export(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    user = _people_user(request)
    form = CompanyFilterForm(request.GET, options=company_filter_options(user))
    form.is_valid()
    companies = import_selectors.company_export_queryset(
        request, viewer=user, skip_filters=form.errors.keys()
    )
    return exports.companies_csv_response(
        companies=companies, viewer=user, filename=f"companies-{_stamp()}.csv"
    )
