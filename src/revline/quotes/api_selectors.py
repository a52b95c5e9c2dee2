"""Reads behind the quotes API: catalogue listings, quotes a user may see, orders."""

from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from revline.core.models import User
from revline.core.visibility import deal_or_contact_q
from revline.sales.models import Deal
from revline.sales.visibility import deals_visible_to

from .diff import VersionDiff, version_diff
from .models import (
    ExchangeRate,
    Order,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteApproval,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from .quote_selectors import version_snapshot


def _ordered(queryset: QuerySet[Any], sort: str) -> QuerySet[Any]:
    return queryset.order_by(sort, "-pk" if sort.startswith("-") else "pk")


def products_for_api() -> QuerySet[Product]:
    return Product.objects.prefetch_related("prices")


def product_search(
    *, q: str = "", status: str | None = None, currency: str | None = None, sort: str = "name"
) -> QuerySet[Product]:
    products = products_for_api()
    if q:
        products = products.filter(
            Q(name__icontains=q) | Q(sku__icontains=q) | Q(description__icontains=q)
        )
    if status:
        products = products.filter(is_active=status == "active")
    if currency:
        products = products.filter(currency=currency)
    return _ordered(products, sort)


def price_books_for_api() -> QuerySet[PriceBook]:
    entries = PriceBookEntry.objects.select_related("product").order_by("product__name", "pk")
    return PriceBook.objects.prefetch_related(Prefetch("entries", queryset=entries))


def price_book_search(
    *, q: str = "", status: str | None = None, currency: str | None = None, sort: str = "name"
) -> QuerySet[PriceBook]:
    books = price_books_for_api()
    if q:
        books = books.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if status:
        books = books.filter(is_active=status == "active")
    if currency:
        books = books.filter(currency=currency)
    return _ordered(books, sort)


def exchange_rate_search(
    *, currency: str | None = None, sort: str = "-valid_from"
) -> QuerySet[ExchangeRate]:
    rates = ExchangeRate.objects.all()
    if currency:
        rates = rates.filter(currency=currency)
    return _ordered(rates, sort)


def _latest(field: str) -> Subquery:
    versions = QuoteVersion.objects.filter(quote=OuterRef("pk")).order_by("-number")
    return Subquery(versions.values(field)[:1])


def quotes_for_api(user: User) -> QuerySet[Quote]:
    """Quotes on deals `user` may see (sales.visibility), with their latest version's figures."""
    accepted = QuoteVersion.objects.filter(quote=OuterRef("pk"), status=QuoteStatus.ACCEPTED)
    return (
        Quote.objects.filter(deal__in=deals_visible_to(user, Deal.objects.all()))
        .select_related("deal", "deal__owner", "created_by")
        .annotate(
            status=_latest("status"),
            version_number=_latest("number"),
            currency=_latest("currency"),
            total=_latest("total"),
            accepted_at=Subquery(accepted.values("accepted_at")[:1]),
        )
    )


def quote_search(
    *,
    user: User,
    q: str = "",
    deal_id: int | None = None,
    status: str | None = None,
    sort: str = "-created_at",
) -> QuerySet[Quote]:
    quotes = quotes_for_api(user)
    if q:
        quotes = quotes.filter(Q(number__icontains=q) | Q(title__icontains=q))
    if deal_id is not None:
        quotes = quotes.filter(deal_id=deal_id)
    if status:
        quotes = quotes.filter(status=status)  # type: ignore[misc]  # the annotation
    return _ordered(quotes, sort)


def versions_for_api(quote: Quote) -> QuerySet[QuoteVersion]:
    approvals = QuoteApproval.objects.select_related("version", "requested_by", "decided_by")
    return (
        QuoteVersion.objects.filter(quote=quote)
        .select_related("quote", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=QuoteLine.objects.order_by("position", "pk")),
            Prefetch("approvals", queryset=approvals.order_by("-requested_at", "-pk")),
        )
        .order_by("-number")
    )


def quote_detail(quote: Quote) -> dict[str, Any]:
    """A quote with its current (latest) version in full and a summary of every version."""
    versions = list(versions_for_api(quote))
    return {
        "id": quote.pk,
        "number": quote.number,
        "title": quote.title,
        "deal": quote.deal,
        "status": versions[0].status,
        "accepted_at": next((v.accepted_at for v in versions if v.accepted_at), None),
        "created_by": quote.created_by,
        "created_at": quote.created_at,
        "current_version": versions[0],
        "versions": versions,
    }


def quote_diff(quote: Quote, *, a: int | None, b: int | None) -> VersionDiff | None:
    """What changed from version `a` (default: b - 1) to `b` (default: the latest); None when
    either does not exist or they are the same version."""
    by_number = {v.number: v for v in versions_for_api(quote)}
    newer = by_number.get(b if b is not None else max(by_number))
    if newer is None:
        return None
    older = by_number.get(a if a is not None else newer.number - 1)
    if older is None or older.number == newer.number:
        return None
    return version_diff(version_snapshot(older), version_snapshot(newer))


def orders_for_api(user: User) -> QuerySet[Order]:
    """Orders `user` may see: those on a deal they may see, or without a deal, of a contact they
    may see (core.visibility), as the deal and contact pages would show them."""
    orders = Order.objects.select_related("product", "contact")
    condition = deal_or_contact_q(user)
    return orders.filter(condition) if condition else orders


def order_search(
    *,
    user: User,
    product_id: int | None = None,
    contact_id: int | None = None,
    deal_id: int | None = None,
    sort: str = "-created_at",
) -> QuerySet[Order]:
    orders = orders_for_api(user)
    for lookup, value in (
        ("product_id", product_id),
        ("contact_id", contact_id),
        ("deal_id", deal_id),
    ):
        if value is not None:
            orders = orders.filter(**{lookup: value})
    return _ordered(orders, sort)
