"""Price books and exchange rates: managers and admins edit, everyone else reads."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import catalog_services, services
from .models import ExchangeRate, PriceBook, Product
from .quote_forms import ExchangeRateForm, PriceBookForm

BOOK_COLUMNS = [
    Column("name", "Price book", "name"),
    Column("currency", "Currency", "currency"),
    Column("entries", "Products priced", "entry_count"),
    Column("status", "Status", "is_active"),
]
RATE_COLUMNS = [
    Column("currency", "Currency", "currency"),
    Column("rate", f"Value in {settings.CURRENCY}", "rate"),
    Column("valid_from", "Valid from", "valid_from"),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def price_books(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    permissions.require(services.can_view_products(user))
    books = PriceBook.objects.annotate(entry_count=Count("entries"))
    status = request.GET.get("status", "")
    if status in ("active", "inactive"):
        books = books.filter(is_active=status == "active")
    listing = build_listing(
        request,
        books,
        columns=BOOK_COLUMNS,
        search_fields=("name", "description"),
        filters={"currency": "currency"},
        default_sort="name",
    )
    context = {
        "listing": listing,
        "currencies": list(
            PriceBook.objects.order_by("currency").values_list("currency", flat=True).distinct()
        ),
        "filtered": any(listing.params.get(k) for k in ("q", "status", "currency")),
        "can_manage": services.can_manage_products(user),
    }
    return render(request, "quotes/price_book_list.html", context)


def _book_products(book: PriceBook | None) -> list[Product]:
    products = Product.objects.filter(is_active=True)
    if book is not None:
        products = products | Product.objects.filter(price_book_entries__price_book=book)
    return list(products.distinct().order_by("name"))


def _book_page(
    request: HttpRequest, form: PriceBookForm, book: PriceBook | None, can_manage: bool, status: int
) -> HttpResponse:
    context = {"form": form, "book": book, "can_manage": can_manage}
    return render(request, "quotes/price_book_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def price_book_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    permissions.require(services.can_view_products(user))
    book = get_object_or_404(PriceBook, pk=pk) if pk is not None else None
    can_manage = services.can_manage_products(user)
    products = _book_products(book)
    if request.method != "POST":
        if book is None:
            permissions.require(can_manage, services.MANAGERS_ONLY)
            initial = {"currency": settings.CURRENCY, "is_active": True}
        else:
            initial = {
                "name": book.name,
                "currency": book.currency,
                "description": book.description,
                "is_active": book.is_active,
            }
            for entry in book.entries.all():
                initial[f"price_{entry.product_id}"] = entry.unit_price
        form = PriceBookForm(initial=initial, products=products)
        return _book_page(request, form, book, can_manage, 200)
    permissions.require(can_manage, services.MANAGERS_ONLY)
    form = PriceBookForm(request.POST, products=products)
    if form.is_valid():
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "currency": data["currency"],
            "description": data["description"],
            "is_active": data["is_active"],
            "entries": form.entries(),
        }
        try:
            if book is None:
                saved = catalog_services.price_book_create(actor=user, **fields)
            else:
                saved = catalog_services.price_book_update(actor=user, book=book, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Price book “{saved.name}” saved.")
            return redirect("quotes:price_books")
    return _book_page(request, form, book, can_manage, 400)


@login_required
@require_http_methods(["GET", "POST"])
def exchange_rates(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    permissions.require(services.can_view_products(user))
    can_manage = services.can_manage_products(user)
    status = 200
    form = ExchangeRateForm()
    if request.method == "POST":
        permissions.require(can_manage, services.MANAGERS_ONLY)
        form = ExchangeRateForm(request.POST)
        if form.is_valid():
            try:
                row = catalog_services.exchange_rate_create(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"1 {row.currency} = {row.rate.normalize():f} {settings.CURRENCY} "
                    f"from {row.valid_from:%b %-d, %Y}.",
                )
                return redirect("quotes:exchange_rates")
        status = 400
    listing = build_listing(
        request,
        ExchangeRate.objects.all(),
        columns=RATE_COLUMNS,
        search_fields=("currency",),
        filters={"currency": "currency"},
        default_sort="-valid_from",
    )
    context = {
        "listing": listing,
        "form": form,
        "can_manage": can_manage,
        "base_currency": settings.CURRENCY,
        "currencies": list(
            ExchangeRate.objects.order_by("currency").values_list("currency", flat=True).distinct()
        ),
        "filtered": any(listing.params.get(k) for k in ("q", "currency")),
    }
    return render(request, "quotes/exchange_rates.html", context, status=status)
