from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User
from revline.sales.services import activity_log

from . import selectors, services
from .forms import (
    CompanyFilterForm,
    CompanyForm,
    ContactFilterForm,
    ContactForm,
    NoteForm,
)
from .models import Company, Contact

COMPANY_TIMELINE_LIMIT = 50  # the newest moves of all its contacts; each contact has its own page


def _people_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.can_edit_people(user), "You cannot work with contacts.")
    return user


def _contact_or_404(pk: int, viewer: User) -> Contact:
    """The contact if `viewer` may see it (core.visibility); a hidden one is "not found"."""
    contact = selectors.contact_get(pk=pk, viewer=viewer)
    if contact is None:
        raise Http404("No such contact.")
    return contact


def _company_or_404(pk: int, viewer: User) -> Company:
    company = selectors.company_get(pk=pk, viewer=viewer)
    if company is None:
        raise Http404("No such company.")
    return company


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


# --- Contacts ----------------------------------------------------------------------------------


@login_required
@require_GET
def contacts(request: HttpRequest) -> HttpResponse:
    user = _people_user(request)
    options = selectors.contact_filter_options(
        selected_company=_int_or_none(request.GET.get("company")), viewer=user
    )
    form = ContactFilterForm(request.GET, options=options)
    form.is_valid()
    listing = selectors.contact_listing(request, viewer=user, skip_filters=form.errors.keys())
    context = {
        "listing": listing,
        "filter_form": form,
        "filtered": bool(listing.params.keys() - {"sort", "page"}),
    }
    return render(request, "people/contacts.html", context, status=400 if form.errors else 200)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _render_contact(
    request: HttpRequest, contact: Contact, note_form: NoteForm, status: int = 200
) -> HttpResponse:
    context = {
        "profile": selectors.contact_profile(
            contact=contact, viewer=_user(request), tab=request.GET.get("tab", "all")
        ),
        "note_form": note_form,
        "tabs": selectors.TIMELINE_TABS,
    }
    return render(request, "people/contact_detail.html", context, status=status)


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _people_user(request)
    return _render_contact(request, _contact_or_404(pk, user), NoteForm())


@login_required
@require_POST
def contact_note(request: HttpRequest, pk: int) -> HttpResponse:
    user = _people_user(request)
    contact = _contact_or_404(pk, user)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            activity_log(
                actor=user,
                kind="note",
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"].strip(),
                contact=contact,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Note added.")
            return redirect("people:contact", pk=contact.pk)
    return _render_contact(request, contact, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    user = _people_user(request)
    # "Add a contact" on a company page preselects that company.
    form = ContactForm(
        request.POST or None,
        initial={"company": _int_or_none(request.GET.get("company"))},
        actor=user,
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                contact = services.contact_create(actor=user, **form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Contact {contact} created.")
                return redirect("people:contact", pk=contact.pk)
        return render(request, "people/contact_form.html", {"form": form}, status=400)
    return render(request, "people/contact_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _people_user(request)
    contact = _contact_or_404(pk, user)
    # The service changes the instance before it may reject the input; keep the stored name.
    context = {"contact_pk": contact.pk, "contact_name": str(contact)}
    form = ContactForm(request.POST or None, instance=contact, actor=user)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.contact_update(actor=user, contact=contact, **form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Contact {contact} saved.")
                return redirect("people:contact", pk=contact.pk)
        return render(request, "people/contact_form.html", {**context, "form": form}, status=400)
    return render(request, "people/contact_form.html", {**context, "form": form})


# --- Companies ---------------------------------------------------------------------------------


@login_required
@require_GET
def companies(request: HttpRequest) -> HttpResponse:
    user = _people_user(request)
    form = CompanyFilterForm(request.GET, options=selectors.company_filter_options(user))
    form.is_valid()
    listing = selectors.company_listing(request, viewer=user, skip_filters=form.errors.keys())
    context = {
        "listing": listing,
        "filter_form": form,
        "filtered": bool(listing.params.keys() - {"sort", "page"}),
    }
    return render(request, "people/companies.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _people_user(request)
    profile = selectors.company_profile(
        company=_company_or_404(pk, user),
        viewer=_user(request),
        tab=request.GET.get("tab", "all"),
        timeline_limit=COMPANY_TIMELINE_LIMIT,
    )
    context = {"profile": profile, "tabs": selectors.TIMELINE_TABS}
    return render(request, "people/company_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    user = _people_user(request)
    form = CompanyForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                company = services.company_create(actor=user, **form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Company {company} created.")
                return redirect("people:company", pk=company.pk)
        return render(request, "people/company_form.html", {"form": form}, status=400)
    return render(request, "people/company_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _people_user(request)
    company = _company_or_404(pk, user)
    context = {"company_pk": company.pk, "company_name": str(company)}
    form = CompanyForm(request.POST or None, instance=company)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.company_update(actor=user, company=company, **form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Company {company} saved.")
                return redirect("people:company", pk=company.pk)
        return render(request, "people/company_form.html", {**context, "form": form}, status=400)
    return render(request, "people/company_form.html", {**context, "form": form})
