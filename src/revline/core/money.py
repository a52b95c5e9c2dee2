"""Exchange rates: converting an amount to the workspace currency at the rate valid on a day."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")


def rate_to_base(currency: str, *, on: date) -> Decimal | None:
    """Workspace-currency value of one unit of `currency` on `on`, or None when no rate is stored."""
    from revline.quotes.models import ExchangeRate  # quotes depends on sales, not the reverse

    currency = currency.upper()
    if currency == settings.CURRENCY:
        return Decimal("1")
    row = (
        ExchangeRate.objects.filter(currency=currency, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    return row


def to_base(amount: Decimal, currency: str, *, on: date) -> Decimal | None:
    """`amount` in the workspace currency, rounded half up to the cent; None without a rate."""
    rate = rate_to_base(currency, on=on)
    if rate is None:
        return None
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
