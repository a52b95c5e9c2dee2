"""API schemas for products, price books, exchange rates, quotes, approvals and orders."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, PlainSerializer

from revline.core.schemas import (
    CurrencyCode,
    InputSchema,
    LongText,
    MoneyIn,
    MoneyOut,
    Name100,
    Name200,
    PatchSchema,
    Text200,
    UserRef,
)
from revline.people.schemas import ContactRef

from . import pricing
from .models import ApprovalDecision, Billing, QuoteStatus

# Plain decimal strings ("12.5", "0.9"), without exponent.
DecimalOut = Annotated[
    Decimal, PlainSerializer(lambda d: f"{d.normalize():f}", return_type=str, when_used="always")
]
Quantity = Annotated[
    Decimal,
    Field(
        gt=0,
        le=pricing.MAX_QUANTITY,
        decimal_places=2,
        description="More than 0, at most 1,000,000, two decimal places",
        examples=["10"],
    ),
]
Percent = Annotated[
    Decimal, Field(ge=0, le=100, decimal_places=2, description="0 to 100", examples=["5"])
]
UnitPrice = Annotated[
    Decimal,
    Field(ge=0, le=pricing.MAX_UNIT_PRICE, decimal_places=2, description='e.g. "99.00"'),
]
Rate = Annotated[
    Decimal,
    Field(
        gt=0,
        le=pricing.MAX_RATE,
        decimal_places=8,
        description="Value of one unit in the workspace currency",
        examples=["0.92"],
    ),
]
Sku = Annotated[str, Field(min_length=1, max_length=64, examples=["SEAT"])]
ActiveStatus = Literal["active", "inactive"]

ProductSort = Literal[
    "name", "-name", "sku", "-sku", "price", "-price", "created_at", "-created_at"
]
PriceBookSort = Literal["name", "-name", "currency", "-currency", "created_at", "-created_at"]
RateSort = Literal["valid_from", "-valid_from", "currency", "-currency", "rate", "-rate"]
QuoteSort = Literal["created_at", "-created_at", "number", "-number", "title", "-title"]
OrderSort = Literal["created_at", "-created_at", "total", "-total"]


# --- products ---------------------------------------------------------------------------------


class PriceOut(Schema):
    currency: str
    unit_price: MoneyOut


class PriceIn(InputSchema):
    currency: CurrencyCode
    unit_price: MoneyIn


class ProductOut(Schema):
    id: int
    name: str
    sku: str
    description: str
    price: MoneyOut = Field(description="List price in the product's own currency")
    currency: str
    billing: Billing
    is_active: bool
    prices: list[PriceOut] = Field(description="List prices in other currencies")
    created_at: datetime

    @staticmethod
    def resolve_prices(obj: Any) -> list[Any]:
        return list(obj.prices.all())


class ProductFilters(Schema):
    q: Text200 = Field("", description="Matches name, SKU or description")
    status: ActiveStatus | None = None
    currency: CurrencyCode | None = None
    sort: ProductSort = "name"


class ProductIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Seat licence",
                    "sku": "SEAT",
                    "price": "100.00",
                    "currency": "EUR",
                    "billing": "yearly",
                    "prices": [{"currency": "USD", "unit_price": "109.00"}],
                }
            ]
        },
    )

    name: Name200
    sku: Sku
    description: LongText = ""
    price: MoneyIn
    currency: CurrencyCode
    billing: Billing = Billing.ONE_OFF
    is_active: bool = True
    prices: list[PriceIn] = Field([], max_length=50)


class ProductPatch(PatchSchema):
    """Only the fields sent are changed; `prices` replaces all prices in other currencies.
    Archive a product with `is_active: false`."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"price": "120.00", "is_active": False}]}
    )

    name: Name200 | None = None
    sku: Sku | None = None
    description: LongText | None = None
    price: MoneyIn | None = None
    currency: CurrencyCode | None = None
    billing: Billing | None = None
    is_active: bool | None = None
    prices: list[PriceIn] | None = Field(None, max_length=50)


# --- price books ------------------------------------------------------------------------------


class EntryOut(Schema):
    product_id: int
    product_name: str
    unit_price: MoneyOut

    @staticmethod
    def resolve_product_name(obj: Any) -> str:
        return str(obj.product.name)


class EntryIn(InputSchema):
    product_id: int
    unit_price: MoneyIn


class PriceBookOut(Schema):
    id: int
    name: str
    currency: str
    description: str
    is_active: bool
    entries: list[EntryOut]
    created_at: datetime

    @staticmethod
    def resolve_entries(obj: Any) -> list[Any]:
        return list(obj.entries.all())


class PriceBookFilters(Schema):
    q: Text200 = Field("", description="Matches name or description")
    status: ActiveStatus | None = None
    currency: CurrencyCode | None = None
    sort: PriceBookSort = "name"


class PriceBookIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Partners 2025",
                    "currency": "EUR",
                    "entries": [{"product_id": 1, "unit_price": "80.00"}],
                }
            ]
        },
    )

    name: Name100
    currency: CurrencyCode
    description: LongText = ""
    is_active: bool = True
    entries: list[EntryIn] = Field([], max_length=1000)


class PriceBookPatch(PatchSchema):
    """Only the fields sent are changed; `entries` replaces all entries."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"is_active": False}]}
    )

    name: Name100 | None = None
    currency: CurrencyCode | None = None
    description: LongText | None = None
    is_active: bool | None = None
    entries: list[EntryIn] | None = Field(None, max_length=1000)


# --- exchange rates ---------------------------------------------------------------------------


class ExchangeRateOut(Schema):
    id: int
    currency: str
    rate: DecimalOut
    valid_from: date
    created_at: datetime


class ExchangeRateFilters(Schema):
    currency: CurrencyCode | None = None
    sort: RateSort = "-valid_from"


class ExchangeRateIn(InputSchema):
    """A second rate for the same currency and day replaces the first."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"currency": "USD", "rate": "0.92", "valid_from": "2025-01-01"}]
        },
    )

    currency: CurrencyCode
    rate: Rate
    valid_from: date


class ExchangeRatePatch(InputSchema):
    rate: Rate


# --- quotes -----------------------------------------------------------------------------------


class LineOut(Schema):
    id: int
    position: int
    product_id: int | None
    name: str
    description: str
    billing: Billing
    quantity: DecimalOut
    unit_price: MoneyOut
    discount_percent: DecimalOut
    line_total: MoneyOut


class LineIn(InputSchema):
    """A blank name or a missing unit price is filled from the product (price book first)."""

    product_id: int | None = None
    name: Text200 = ""
    description: LongText = ""
    quantity: Quantity
    unit_price: UnitPrice | None = None
    discount_percent: Percent = Decimal("0")


class ApprovalOut(Schema):
    id: int
    version_number: int
    decision: ApprovalDecision
    requested_by: UserRef | None
    requested_at: datetime
    decided_by: UserRef | None
    decided_at: datetime | None
    comment: str

    @staticmethod
    def resolve_version_number(obj: Any) -> int:
        return int(obj.version.number)


class VersionOut(Schema):
    number: int
    status: QuoteStatus
    currency: str
    exchange_rate: DecimalOut = Field(description="Workspace-currency value of one unit, fixed")
    price_book_id: int | None
    discount_percent: DecimalOut
    tax_percent: DecimalOut
    terms: str
    valid_until: date | None
    list_total: MoneyOut
    subtotal: MoneyOut
    discount_amount: MoneyOut
    tax_amount: MoneyOut
    total: MoneyOut
    effective_discount_percent: DecimalOut
    lines: list[LineOut]
    approvals: list[ApprovalOut]
    public_path: str | None = Field(description="The buyer's page, once sent")
    created_by: UserRef | None
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None
    accepted_name: str

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_approvals(obj: Any) -> list[Any]:
        return list(obj.approvals.all())

    @staticmethod
    def resolve_public_path(obj: Any) -> str | None:
        if not obj.public_token or obj.status == QuoteStatus.SUPERSEDED:
            return None
        return f"/q/{obj.public_token}"


class VersionSummaryOut(Schema):
    number: int
    status: QuoteStatus
    currency: str
    total: MoneyOut
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None


class DealRef(Schema):
    id: int
    name: str


class QuoteOut(Schema):
    id: int
    number: str
    title: str
    deal: DealRef
    status: QuoteStatus = Field(description="The current (latest) version's status")
    accepted_at: datetime | None = Field(description="When the buyer accepted a version")
    created_by: UserRef | None
    created_at: datetime
    current_version: VersionOut
    versions: list[VersionSummaryOut] = Field(description="Newest first")


class QuoteListOut(Schema):
    id: int
    number: str
    title: str
    deal: DealRef
    status: QuoteStatus = Field(description="The current (latest) version's status")
    version_number: int
    currency: str
    total: MoneyOut
    accepted_at: datetime | None
    created_at: datetime


class QuoteFilters(Schema):
    q: Text200 = Field("", description="Matches the quote's number or title")
    deal_id: int | None = None
    status: QuoteStatus | None = Field(None, description="The current version's status")
    sort: QuoteSort = "-created_at"


class QuoteIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "deal_id": 1,
                    "title": "Acme rollout",
                    "currency": "EUR",
                    "lines": [
                        {"product_id": 1, "quantity": "10", "discount_percent": "5"},
                        {"name": "Travel", "quantity": "1", "unit_price": "350.00"},
                    ],
                    "tax_percent": "19",
                    "valid_until": "2025-12-31",
                }
            ]
        },
    )

    deal_id: int
    title: Name200
    currency: CurrencyCode | None = Field(None, description="Defaults to the deal's currency")
    price_book_id: int | None = None
    lines: list[LineIn] = Field([], max_length=pricing.MAX_LINES)
    discount_percent: Percent = Decimal("0")
    tax_percent: Percent = Decimal("0")
    terms: LongText = ""
    valid_until: date | None = None


class VersionPatch(PatchSchema):
    """Change a draft; only the fields sent change, `lines` replaces all lines."""

    clearable = frozenset({"price_book_id", "valid_until"})
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "discount_percent": "10",
                    "terms": "Net 30",
                    "lines": [{"product_id": 1, "quantity": "12"}],
                }
            ]
        },
    )

    title: Name200 | None = None
    currency: CurrencyCode | None = None
    price_book_id: int | None = None
    lines: list[LineIn] | None = Field(None, max_length=pricing.MAX_LINES)
    discount_percent: Percent | None = None
    tax_percent: Percent | None = None
    terms: LongText | None = None
    valid_until: date | None = None


class SendIn(InputSchema):
    email_to_contact: bool = Field(False, description="Email the buyer's link to the contact")


class DecisionIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "Fine for a 3-year term."}]}
    )

    comment: Annotated[str, Field(max_length=2000)] = ""


class RejectIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "Too deep; 10% at most."}]}
    )

    comment: Annotated[str, Field(min_length=1, max_length=2000)]


class PendingApprovalOut(Schema):
    id: int
    quote_id: int
    quote_number: str
    quote_title: str
    deal: DealRef
    version_number: int
    effective_discount_percent: DecimalOut
    total: MoneyOut
    currency: str
    requested_by: UserRef | None
    requested_at: datetime

    @staticmethod
    def resolve_quote_id(obj: Any) -> int:
        return int(obj.version.quote_id)

    @staticmethod
    def resolve_quote_number(obj: Any) -> str:
        return str(obj.version.quote.number)

    @staticmethod
    def resolve_quote_title(obj: Any) -> str:
        return str(obj.version.quote.title)

    @staticmethod
    def resolve_deal(obj: Any) -> Any:
        return obj.version.quote.deal

    @staticmethod
    def resolve_version_number(obj: Any) -> int:
        return int(obj.version.number)

    @staticmethod
    def resolve_effective_discount_percent(obj: Any) -> Decimal:
        return Decimal(obj.version.effective_discount_percent)

    @staticmethod
    def resolve_total(obj: Any) -> Decimal:
        return Decimal(obj.version.total)

    @staticmethod
    def resolve_currency(obj: Any) -> str:
        return str(obj.version.currency)


class DiffLineOut(Schema):
    name: str
    product_id: int | None
    quantity: DecimalOut
    unit_price: MoneyOut
    discount_percent: DecimalOut
    line_total: MoneyOut


class ChangeOut(Schema):
    field: str
    old: str | None
    new: str | None

    @staticmethod
    def resolve_old(obj: Any) -> str | None:
        return None if obj.old is None else str(obj.old)

    @staticmethod
    def resolve_new(obj: Any) -> str | None:
        return None if obj.new is None else str(obj.new)


class LineChangeOut(Schema):
    name: str
    changes: list[ChangeOut]


class DiffOut(Schema):
    old_number: int
    new_number: int
    added: list[DiffLineOut]
    removed: list[DiffLineOut]
    changed: list[LineChangeOut]
    quote_changes: list[ChangeOut]


class DiffQuery(Schema):
    a: int | None = Field(None, ge=1, le=100_000, description="Older version; default b - 1")
    b: int | None = Field(None, ge=1, le=100_000, description="Newer version; default latest")


# --- orders -----------------------------------------------------------------------------------


class ProductRef(Schema):
    id: int
    name: str
    sku: str


class OrderOut(Schema):
    id: int
    product: ProductRef
    contact: ContactRef
    quantity: int
    unit_price: MoneyOut
    total: MoneyOut
    currency: str
    deal_id: int | None
    creative_id: int | None
    created_at: datetime


class OrderFilters(Schema):
    product_id: int | None = None
    contact_id: int | None = None
    deal_id: int | None = None
    sort: OrderSort = "-created_at"
