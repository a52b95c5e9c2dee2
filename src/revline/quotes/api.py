"""Products, price books, exchange rates, quotes with their versions and approvals, and orders
over the JSON API. Buyers accept quotes on the public page only, never through a token."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import api_user, related_or_422
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset
from revline.sales.models import Deal
from revline.sales.visibility import deals_visible_to

from . import api_selectors, catalog_services, quote_selectors, quote_services, services
from .api_schemas import (
    DecisionIn,
    DiffOut,
    DiffQuery,
    EntryIn,
    ExchangeRateFilters,
    ExchangeRateIn,
    ExchangeRateOut,
    ExchangeRatePatch,
    LineIn,
    OrderFilters,
    OrderOut,
    PendingApprovalOut,
    PriceBookFilters,
    PriceBookIn,
    PriceBookOut,
    PriceBookPatch,
    PriceIn,
    ProductFilters,
    ProductIn,
    ProductOut,
    ProductPatch,
    QuoteFilters,
    QuoteIn,
    QuoteListOut,
    QuoteOut,
    RejectIn,
    SendIn,
    VersionOut,
    VersionPatch,
)
from .models import (
    ApprovalDecision,
    ExchangeRate,
    PriceBook,
    Product,
    Quote,
    QuoteApproval,
    QuoteVersion,
)

router = Router()

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
DELETED: dict[int, Any] = {204: None, **ERRORS}
CATALOG, QUOTES, ORDERS = ["products"], ["quotes"], ["orders"]


def _viewer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(services.can_view_products(user))
    return user


def _manager(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(services.can_manage_products(user), services.MANAGERS_ONLY)
    return user


def _twice(field: str, what: str) -> ValidationError:
    return ValidationError({field: f"{what} is listed twice."})


def _prices(items: Iterable[PriceIn]) -> dict[str, Decimal]:
    prices: dict[str, Decimal] = {}
    for item in items:
        if item.currency in prices:
            raise _twice("prices", item.currency)
        prices[item.currency] = item.unit_price
    return prices


def _entries(items: Iterable[EntryIn]) -> dict[Product, Decimal]:
    entries: dict[Product, Decimal] = {}
    for item in items:
        product = related_or_422(Product.objects.all(), item.product_id, field="entries")
        assert product is not None
        if product in entries:
            raise _twice("entries", f"Product {product.pk}")
        entries[product] = item.unit_price
    return entries


def _price_book(pk: int | None) -> PriceBook | None:
    # The editor offers active price books only.
    return related_or_422(PriceBook.objects.filter(is_active=True), pk, field="price_book_id")


def _lines(items: Iterable[LineIn]) -> list[quote_services.LineInput]:
    return [
        quote_services.LineInput(
            product=related_or_422(Product.objects.all(), item.product_id, field="lines"),
            name=item.name,
            description=item.description,
            quantity=item.quantity,
            unit_price=item.unit_price,
            discount_percent=item.discount_percent,
        )
        for item in items
    ]


# --- products ---------------------------------------------------------------------------------


@router.get("/products", response=list[ProductOut], tags=CATALOG, summary="List products")
@paginate(LimitOffset)
def list_products(request: HttpRequest, filters: Query[ProductFilters]) -> Any:
    _viewer(request)
    return api_selectors.product_search(**filters.model_dump())


@router.post(
    "/products",
    response={201: ProductOut, **ERRORS},
    tags=CATALOG,
    summary="Create a product with its prices in other currencies (managers and admins)",
)
def create_product(request: HttpRequest, payload: ProductIn) -> Any:
    actor = _manager(request)
    data = payload.model_dump()
    prices = _prices(payload.prices)
    data.pop("prices")
    product = catalog_services.product_create_priced(actor=actor, prices=prices, **data)
    return Status(201, api_selectors.products_for_api().get(pk=product.pk))


@router.get(
    "/products/{int:product_id}",
    response={200: ProductOut, 403: ErrorOut, 404: ErrorOut},
    tags=CATALOG,
    summary="Read a product",
)
def get_product(request: HttpRequest, product_id: int) -> Any:
    _viewer(request)
    return get_object_or_404(api_selectors.products_for_api(), pk=product_id)


@router.patch(
    "/products/{int:product_id}",
    response={200: ProductOut, **ERRORS},
    tags=CATALOG,
    summary="Change or archive a product (managers and admins)",
)
def update_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> Any:
    actor = _manager(request)
    product = get_object_or_404(Product.objects.all(), pk=product_id)
    data = payload.model_dump(exclude_unset=True)
    prices = _prices(payload.prices or []) if "prices" in data else None
    data.pop("prices", None)
    catalog_services.product_update_priced(actor=actor, product=product, prices=prices, **data)
    return api_selectors.products_for_api().get(pk=product.pk)


@router.delete(
    "/products/{int:product_id}",
    response=DELETED,
    tags=CATALOG,
    summary="Delete a product no order, quote or CTA uses (others: archive them)",
)
def delete_product(request: HttpRequest, product_id: int) -> Any:
    actor = _manager(request)
    product = get_object_or_404(Product.objects.all(), pk=product_id)
    services.product_delete(actor=actor, product=product)
    return Status(204, None)


# --- price books ------------------------------------------------------------------------------


@router.get("/price-books", response=list[PriceBookOut], tags=CATALOG, summary="List price books")
@paginate(LimitOffset)
def list_price_books(request: HttpRequest, filters: Query[PriceBookFilters]) -> Any:
    _viewer(request)
    return api_selectors.price_book_search(**filters.model_dump())


@router.post(
    "/price-books",
    response={201: PriceBookOut, **ERRORS},
    tags=CATALOG,
    summary="Create a price book with its entries (managers and admins)",
)
def create_price_book(request: HttpRequest, payload: PriceBookIn) -> Any:
    actor = _manager(request)
    data = payload.model_dump()
    data["entries"] = _entries(payload.entries)
    book = catalog_services.price_book_create(actor=actor, **data)
    return Status(201, api_selectors.price_books_for_api().get(pk=book.pk))


@router.get(
    "/price-books/{int:book_id}",
    response={200: PriceBookOut, 403: ErrorOut, 404: ErrorOut},
    tags=CATALOG,
    summary="Read a price book and its entries",
)
def get_price_book(request: HttpRequest, book_id: int) -> Any:
    _viewer(request)
    return get_object_or_404(api_selectors.price_books_for_api(), pk=book_id)


@router.patch(
    "/price-books/{int:book_id}",
    response={200: PriceBookOut, **ERRORS},
    tags=CATALOG,
    summary="Change a price book; `entries` replaces all entries (managers and admins)",
)
def update_price_book(request: HttpRequest, book_id: int, payload: PriceBookPatch) -> Any:
    actor = _manager(request)
    book = get_object_or_404(api_selectors.price_books_for_api(), pk=book_id)
    sent = payload.model_dump(exclude_unset=True)
    data: dict[str, Any] = {
        "name": sent.get("name", book.name),
        "currency": sent.get("currency", book.currency),
        "description": sent.get("description", book.description),
        "is_active": sent.get("is_active", book.is_active),
        "entries": (
            _entries(payload.entries or [])
            if "entries" in sent
            else {e.product: e.unit_price for e in book.entries.all()}
        ),
    }
    catalog_services.price_book_update(actor=actor, book=book, **data)
    return api_selectors.price_books_for_api().get(pk=book.pk)


@router.delete(
    "/price-books/{int:book_id}",
    response=DELETED,
    tags=CATALOG,
    summary="Delete a price book; quotes keep their prices (managers and admins)",
)
def delete_price_book(request: HttpRequest, book_id: int) -> Any:
    actor = _manager(request)
    book = get_object_or_404(PriceBook.objects.all(), pk=book_id)
    catalog_services.price_book_delete(actor=actor, book=book)
    return Status(204, None)


# --- exchange rates ---------------------------------------------------------------------------


@router.get(
    "/exchange-rates",
    response=list[ExchangeRateOut],
    tags=CATALOG,
    summary="List exchange rates to the workspace currency",
)
@paginate(LimitOffset)
def list_exchange_rates(request: HttpRequest, filters: Query[ExchangeRateFilters]) -> Any:
    _viewer(request)
    return api_selectors.exchange_rate_search(**filters.model_dump())


@router.post(
    "/exchange-rates",
    response={201: ExchangeRateOut, **ERRORS},
    tags=CATALOG,
    summary="Record a rate from a day on; the same currency and day replaces it",
)
def create_exchange_rate(request: HttpRequest, payload: ExchangeRateIn) -> Any:
    actor = _manager(request)
    row = catalog_services.exchange_rate_create(actor=actor, **payload.model_dump())
    return Status(201, row)


@router.get(
    "/exchange-rates/{int:rate_id}",
    response={200: ExchangeRateOut, 403: ErrorOut, 404: ErrorOut},
    tags=CATALOG,
    summary="Read an exchange rate",
)
def get_exchange_rate(request: HttpRequest, rate_id: int) -> Any:
    _viewer(request)
    return get_object_or_404(ExchangeRate.objects.all(), pk=rate_id)


@router.patch(
    "/exchange-rates/{int:rate_id}",
    response={200: ExchangeRateOut, **ERRORS},
    tags=CATALOG,
    summary="Correct a rate; quotes keep the rate they were made at",
)
def update_exchange_rate(request: HttpRequest, rate_id: int, payload: ExchangeRatePatch) -> Any:
    actor = _manager(request)
    row = get_object_or_404(ExchangeRate.objects.all(), pk=rate_id)
    return catalog_services.exchange_rate_update(actor=actor, row=row, rate=payload.rate)


@router.delete(
    "/exchange-rates/{int:rate_id}",
    response=DELETED,
    tags=CATALOG,
    summary="Delete an exchange rate",
)
def delete_exchange_rate(request: HttpRequest, rate_id: int) -> Any:
    actor = _manager(request)
    row = get_object_or_404(ExchangeRate.objects.all(), pk=rate_id)
    catalog_services.exchange_rate_delete(actor=actor, row=row)
    return Status(204, None)


# --- quotes -----------------------------------------------------------------------------------


def _quote(user: User, quote_id: int) -> Quote:
    return get_object_or_404(api_selectors.quotes_for_api(user), pk=quote_id)


def _version(user: User, quote_id: int, number: int) -> QuoteVersion:
    quote = _quote(user, quote_id)
    return get_object_or_404(api_selectors.versions_for_api(quote), number=number)


def _version_out(version: QuoteVersion) -> QuoteVersion:
    return api_selectors.versions_for_api(version.quote).get(pk=version.pk)


@router.get("/quotes", response=list[QuoteListOut], tags=QUOTES, summary="List quotes")
@paginate(LimitOffset)
def list_quotes(request: HttpRequest, filters: Query[QuoteFilters]) -> Any:
    return api_selectors.quote_search(user=api_user(request), **filters.model_dump())


@router.post(
    "/quotes",
    response={201: QuoteOut, **ERRORS},
    tags=QUOTES,
    summary="Create a quote for a deal, with version 1 and its lines",
)
def create_quote(request: HttpRequest, payload: QuoteIn) -> Any:
    actor = api_user(request)
    deal = related_or_422(
        deals_visible_to(actor, Deal.objects.select_related("owner")),
        payload.deal_id,
        field="deal_id",
    )
    assert deal is not None
    quote = quote_services.quote_create_filled(
        actor=actor,
        deal=deal,
        title=payload.title,
        currency=payload.currency or "",
        price_book=_price_book(payload.price_book_id),
        lines=_lines(payload.lines),
        discount_percent=payload.discount_percent,
        tax_percent=payload.tax_percent,
        terms=payload.terms,
        valid_until=payload.valid_until,
    )
    return Status(201, api_selectors.quote_detail(_quote(actor, quote.pk)))


@router.get(
    "/quotes/{int:quote_id}",
    response={200: QuoteOut, 404: ErrorOut},
    tags=QUOTES,
    summary="Read a quote: its current version with lines and totals, and all versions",
)
def get_quote(request: HttpRequest, quote_id: int) -> Any:
    return api_selectors.quote_detail(_quote(api_user(request), quote_id))


@router.delete(
    "/quotes/{int:quote_id}",
    response=DELETED,
    tags=QUOTES,
    summary="Delete a quote that was never sent",
)
def delete_quote(request: HttpRequest, quote_id: int) -> Any:
    actor = api_user(request)
    quote_services.quote_delete(actor=actor, quote=_quote(actor, quote_id))
    return Status(204, None)


@router.get(
    "/quotes/{int:quote_id}/versions/{int:number}",
    response={200: VersionOut, 404: ErrorOut},
    tags=QUOTES,
    summary="Read one version of a quote",
)
def get_version(request: HttpRequest, quote_id: int, number: int) -> Any:
    return _version(api_user(request), quote_id, number)


@router.patch(
    "/quotes/{int:quote_id}/versions/{int:number}",
    response={200: VersionOut, **ERRORS},
    tags=QUOTES,
    summary="Change a draft version: lines, discount, tax, terms, validity",
)
def update_version(request: HttpRequest, quote_id: int, number: int, payload: VersionPatch) -> Any:
    actor = api_user(request)
    version = _version(actor, quote_id, number)
    sent = payload.model_dump(exclude_unset=True)
    lines = (
        _lines(payload.lines or [])
        if "lines" in sent
        else [
            quote_services.LineInput(
                product=line.product,
                name=line.name,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
            )
            for line in version.lines.select_related("product")
        ]
    )
    price_book = (
        _price_book(sent["price_book_id"]) if "price_book_id" in sent else version.price_book
    )
    quote_services.version_save(
        actor=actor,
        version=version,
        lines=lines,
        title=sent.get("title"),
        currency=sent.get("currency", version.currency),
        price_book=price_book,
        discount_percent=sent.get("discount_percent", version.discount_percent),
        tax_percent=sent.get("tax_percent", version.tax_percent),
        terms=sent.get("terms", version.terms),
        valid_until=sent.get("valid_until", version.valid_until),
    )
    return _version_out(version)


@router.post(
    "/quotes/{int:quote_id}/versions/{int:number}/revise",
    response={201: VersionOut, **ERRORS},
    tags=QUOTES,
    summary="Start a new draft version from the latest one",
)
def revise_version(request: HttpRequest, quote_id: int, number: int) -> Any:
    actor = api_user(request)
    version = _version(actor, quote_id, number)
    new = quote_services.version_revise(actor=actor, version=version)
    return Status(201, _version_out(new))


@router.post(
    "/quotes/{int:quote_id}/versions/{int:number}/request-approval",
    response={200: VersionOut, **ERRORS},
    tags=QUOTES,
    summary="Submit a draft whose discount is above the threshold for approval",
)
def request_approval(request: HttpRequest, quote_id: int, number: int) -> Any:
    actor = api_user(request)
    version = _version(actor, quote_id, number)
    quote_services.version_request_approval(actor=actor, version=version)
    return _version_out(version)


def _decide(request: HttpRequest, quote_id: int, number: int, approve: bool, comment: str) -> Any:
    actor = api_user(request)
    version = _version(actor, quote_id, number)
    # A manager of another team gets a 403 whatever the version's state, as in the UI.
    permissions.require(
        permissions.can_approve_quote(actor, version.quote.deal.owner),
        quote_services.APPROVE_DENIED,
    )
    approval = QuoteApproval.objects.filter(
        version=version, decision=ApprovalDecision.PENDING
    ).first()
    if approval is None:
        raise ValidationError("This version is not waiting for approval.")
    quote_services.approval_decide(actor=actor, approval=approval, approve=approve, comment=comment)
    return _version_out(version)


@router.post(
    "/quotes/{int:quote_id}/versions/{int:number}/approve",
    response={200: VersionOut, **ERRORS},
    tags=QUOTES,
    summary="Approve the discount (a manager of the deal owner's team, or an admin)",
)
def approve_version(request: HttpRequest, quote_id: int, number: int, payload: DecisionIn) -> Any:
    return _decide(request, quote_id, number, True, payload.comment)


@router.post(
    "/quotes/{int:quote_id}/versions/{int:number}/reject",
    response={200: VersionOut, **ERRORS},
    tags=QUOTES,
    summary="Reject the discount, saying why (a manager of the owner's team, or an admin)",
)
def reject_version(request: HttpRequest, quote_id: int, number: int, payload: RejectIn) -> Any:
    return _decide(request, quote_id, number, False, payload.comment)


@router.post(
    "/quotes/{int:quote_id}/versions/{int:number}/send",
    response={200: VersionOut, **ERRORS},
    tags=QUOTES,
    summary="Send the version: it gets its buyer's page and replaces older versions",
)
def send_version(request: HttpRequest, quote_id: int, number: int, payload: SendIn) -> Any:
    actor = api_user(request)
    version = _version(actor, quote_id, number)
    quote_services.version_send(
        actor=actor,
        version=version,
        email_to_contact=payload.email_to_contact,
        site_url=request.build_absolute_uri("/"),
    )
    return _version_out(version)


@router.get(
    "/quotes/{int:quote_id}/diff",
    response={200: DiffOut, 404: ErrorOut},
    tags=QUOTES,
    summary="What changed between two versions (default: the latest and the one before)",
)
def diff_versions(request: HttpRequest, quote_id: int, query: Query[DiffQuery]) -> Any:
    quote = _quote(api_user(request), quote_id)
    diff = api_selectors.quote_diff(quote, a=query.a, b=query.b)
    if diff is None:
        raise Http404("There are no two such versions to compare.")
    return diff


@router.get(
    "/quote-approvals",
    response=list[PendingApprovalOut],
    tags=QUOTES,
    summary="Approval requests waiting for the caller's decision",
)
@paginate(LimitOffset)
def list_pending_approvals(request: HttpRequest) -> Any:
    return quote_selectors.pending_approvals_for(api_user(request)).order_by("-requested_at", "-pk")


# --- orders -----------------------------------------------------------------------------------


@router.get("/orders", response=list[OrderOut], tags=ORDERS, summary="List buy-now orders")
@paginate(LimitOffset)
def list_orders(request: HttpRequest, filters: Query[OrderFilters]) -> Any:
    return api_selectors.order_search(user=api_user(request), **filters.model_dump())


@router.get(
    "/orders/{int:order_id}",
    response={200: OrderOut, 404: ErrorOut},
    tags=ORDERS,
    summary="Read an order",
)
def get_order(request: HttpRequest, order_id: int) -> Any:
    return get_object_or_404(api_selectors.orders_for_api(api_user(request)), pk=order_id)
