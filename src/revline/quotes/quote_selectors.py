"""Quote reads: a deal's quotes, one quote with its versions, the approvals inbox, prices."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, QuerySet

from revline.core import money
from revline.core.models import Role, User
from revline.core.permissions import is_admin
from revline.sales.models import Deal
from revline.sales.selectors import deals_visible_to

from .diff import LineSnapshot, VersionSnapshot
from .models import (
    ApprovalDecision,
    PriceBook,
    PriceBookEntry,
    Product,
    ProductPrice,
    Quote,
    QuoteApproval,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)

CENT = Decimal("0.01")


def quotes_queryset() -> QuerySet[Quote]:
    return Quote.objects.select_related(
        "deal", "deal__owner", "deal__owner__team", "deal__contact", "deal__stage", "created_by"
    )


def quote_visible(user: User, pk: int) -> Quote | None:
    """The quote if `user` may see its deal (see sales.selectors.deals_visible_to)."""
    visible = deals_visible_to(user, Deal.objects.all())
    return quotes_queryset().filter(pk=pk, deal__in=visible).first()


@dataclass(frozen=True)
class QuoteRow:
    quote: Quote
    latest: QuoteVersion | None
    version_count: int


def deal_quotes(deal: Deal) -> list[QuoteRow]:
    """The deal's quotes, newest first, each with its latest version (two queries)."""
    quotes = Quote.objects.filter(deal=deal).prefetch_related(
        Prefetch("versions", queryset=QuoteVersion.objects.order_by("-number"))
    )
    rows = []
    for quote in quotes:
        versions = list(quote.versions.all())
        rows.append(
            QuoteRow(
                quote=quote, latest=versions[0] if versions else None, version_count=len(versions)
            )
        )
    return rows


def quote_versions(quote: Quote) -> list[QuoteVersion]:
    """All versions, newest first, with their lines and approvals."""
    return list(
        QuoteVersion.objects.filter(quote=quote)
        .select_related("price_book", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=QuoteLine.objects.select_related("product")),
            Prefetch(
                "approvals",
                queryset=QuoteApproval.objects.select_related("requested_by", "decided_by"),
            ),
        )
        .order_by("-number")
    )


def version_snapshot(version: QuoteVersion) -> VersionSnapshot:
    return VersionSnapshot(
        number=version.number,
        currency=version.currency,
        lines=tuple(
            LineSnapshot(
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                line_total=line.line_total,
                product_id=line.product_id,
            )
            for line in version.lines.all()
        ),
        discount_percent=version.discount_percent,
        tax_percent=version.tax_percent,
        terms=version.terms,
        valid_until=version.valid_until,
        total=version.total,
    )


def version_for_token(token: str) -> QuoteVersion | None:
    """The sent version behind a public link; None for unknown or malformed tokens."""
    token = token.strip()
    if not token or len(token) > 64:
        return None
    return (
        QuoteVersion.objects.select_related("quote", "quote__deal")
        .prefetch_related("lines")
        .filter(public_token=token)
        .first()
    )


def newer_sent_version(version: QuoteVersion) -> QuoteVersion | None:
    return (
        QuoteVersion.objects.filter(quote_id=version.quote_id, number__gt=version.number)
        .filter(sent_at__isnull=False)
        .order_by("-number")
        .first()
    )


def pending_approvals_for(user: User) -> QuerySet[QuoteApproval]:
    """Requests waiting for a decision that `user` may take (permissions.can_approve_quote)."""
    approvals = QuoteApproval.objects.filter(
        decision=ApprovalDecision.PENDING, version__status=QuoteStatus.PENDING_APPROVAL
    ).select_related(
        "requested_by",
        "version",
        "version__quote",
        "version__quote__deal",
        "version__quote__deal__owner",
        "version__quote__deal__company",
    )
    if is_admin(user):
        return approvals
    if user.role != Role.SALES_MANAGER or user.team_id is None or not user.is_active:
        return approvals.none()
    return approvals.filter(version__quote__deal__owner__team_id=user.team_id)


def recent_decisions_for(user: User, limit: int = 10) -> list[QuoteApproval]:
    return list(
        QuoteApproval.objects.filter(decided_by=user)
        .select_related("version", "version__quote", "version__quote__deal")
        .order_by("-decided_at")[:limit]
    )


def _convert(amount: Decimal, from_currency: str, to_currency: str, on: date) -> Decimal | None:
    if from_currency == to_currency:
        return amount
    from_rate = money.rate_to_base(from_currency, on=on)
    to_rate = money.rate_to_base(to_currency, on=on)
    if from_rate is None or to_rate is None:
        return None
    return (amount * from_rate / to_rate).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_price_for(
    product: Product, *, currency: str, price_book: PriceBook | None, on: date
) -> Decimal | None:
    """The price book's price → the product's price in `currency` → its list price (converted
    at the stored exchange rates when in another currency); None when nothing applies."""
    if price_book is not None and price_book.currency == currency:
        entry = PriceBookEntry.objects.filter(price_book=price_book, product=product).first()
        if entry is not None:
            return entry.unit_price
    price = ProductPrice.objects.filter(product=product, currency=currency).first()
    if price is not None:
        return price.unit_price
    return _convert(product.price, product.currency, currency, on)


def price_map(
    *, currency: str, price_book: PriceBook | None, on: date
) -> dict[str, dict[str, str]]:
    """{product pk: {name, price, billing}} of active products, for the editor's product picker."""
    products = list(Product.objects.filter(is_active=True).order_by("name"))
    book_prices: dict[int, Decimal] = {}
    if price_book is not None and price_book.currency == currency:
        book_prices = dict(
            PriceBookEntry.objects.filter(price_book=price_book).values_list(
                "product_id", "unit_price"
            )
        )
    own_prices = dict(
        ProductPrice.objects.filter(currency=currency).values_list("product_id", "unit_price")
    )
    result = {}
    for product in products:
        price = book_prices.get(product.pk, own_prices.get(product.pk))
        if price is None:
            price = _convert(product.price, product.currency, currency, on)
        result[str(product.pk)] = {
            "name": product.name,
            "price": "" if price is None else str(price),
            "billing": product.billing,
        }
    return result


def active_price_books() -> QuerySet[PriceBook]:
    return PriceBook.objects.filter(is_active=True).order_by("name")
