from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Billing(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"


class Product(models.Model):
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="EUR")
    billing = models.CharField(max_length=10, choices=Billing.choices, default=Billing.ONE_OFF)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductPrice(models.Model):
    """The product's list price in another currency than its own."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3)
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["product", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["product", "currency"], name="product_price_unique"),
        ]


class PriceBook(models.Model):
    """Negotiated or regional prices in one currency; products not listed use their list price."""

    name = models.CharField(max_length=100, unique=True)
    currency = models.CharField(max_length=3)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriceBookEntry(models.Model):
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="price_book_entries"
    )
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["price_book", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_book", "product"], name="price_book_entry_unique"
            ),
        ]


class ExchangeRate(models.Model):
    """How much one unit of `currency` is worth in the workspace currency, from a day on."""

    currency = models.CharField(max_length=3)
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))]
    )
    valid_from = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="exchange_rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} from {self.valid_from}"


class Quote(models.Model):
    """A quote for a deal; every revision during negotiation is a new QuoteVersion."""

    deal = models.ForeignKey("sales.Deal", on_delete=models.CASCADE, related_name="quotes")
    number = models.CharField(max_length=30, unique=True)
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Approval rejected"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    SUPERSEDED = "superseded", "Superseded"


class QuoteVersion(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    currency = models.CharField(max_length=3)
    # Workspace-currency value of one unit of `currency`, fixed when the version is created.
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=8, default=Decimal("1"))
    price_book = models.ForeignKey(
        PriceBook, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Discount on the whole quote, after line discounts",
    )
    tax_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    terms = models.TextField(blank=True)
    valid_until = models.DateField(null=True, blank=True)
    # Totals are computed by the service from the lines and stored, never entered.
    list_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    subtotal = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    discount_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    tax_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    effective_discount_percent = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("0")
    )
    public_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    accepted_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["quote", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "number"], name="quote_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quote.number} v{self.number}"


class QuoteLine(models.Model):
    version = models.ForeignKey(QuoteVersion, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="quote_lines"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    billing = models.CharField(max_length=10, choices=Billing.choices, default=Billing.ONE_OFF)
    quantity = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    line_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "pk"]


class ApprovalDecision(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class QuoteApproval(models.Model):
    version = models.ForeignKey(QuoteVersion, on_delete=models.CASCADE, related_name="approvals")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    decision = models.CharField(
        max_length=10, choices=ApprovalDecision.choices, default=ApprovalDecision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Approval of {self.version}"


class Order(models.Model):
    """A buy-now order from a public order page. The price comes from the product, never the request."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders")
    contact = models.ForeignKey("people.Contact", on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    deal = models.OneToOneField(
        "sales.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="order"
    )
    creative = models.ForeignKey(
        "campaigns.Creative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
