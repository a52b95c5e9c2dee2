from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="EUR")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
