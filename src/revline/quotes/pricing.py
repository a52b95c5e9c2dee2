"""Quote money math and the bounds of its inputs: pure functions on Decimal, no ORM.

Every amount is rounded half up to the cent at the step where a person would round it on paper:
each line, the quote discount and the tax. The total is therefore exactly the sum of its parts.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")

MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_PRICE = Decimal("10000000000")  # 10^10
MAX_RATE = Decimal("1000000")
# The stored totals have 14 digits before the point; refuse quotes that would not fit.
MAX_TOTAL = Decimal("99999999999999.99")
MAX_LINES = 200


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """quantity x unit price less the line discount, rounded half up to the cent."""
    return round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = ZERO


@dataclass(frozen=True)
class Totals:
    line_totals: tuple[Decimal, ...]
    list_total: Decimal  # Σ quantity x unit price, before any discount
    subtotal: Decimal  # Σ line totals
    discount_amount: Decimal  # the quote discount on the subtotal
    taxable: Decimal
    tax_amount: Decimal
    total: Decimal
    effective_discount_percent: Decimal  # all discounts together, relative to the list total


def quote_totals(
    lines: Sequence[LineAmounts], *, discount_percent: Decimal, tax_percent: Decimal
) -> Totals:
    """The totals of a quote. Inputs are assumed valid (see line_errors/quote_errors)."""
    line_totals = tuple(
        line_total(line.quantity, line.unit_price, line.discount_percent) for line in lines
    )
    list_total = round_money(sum((line.quantity * line.unit_price for line in lines), ZERO))
    subtotal = sum(line_totals, ZERO)
    discount_amount = round_money(subtotal * discount_percent / HUNDRED)
    taxable = subtotal - discount_amount
    tax_amount = round_money(taxable * tax_percent / HUNDRED)
    total = taxable + tax_amount
    effective = ZERO
    if list_total > 0:
        effective = round_money((list_total - taxable) / list_total * HUNDRED)
    return Totals(
        line_totals=line_totals,
        list_total=list_total,
        subtotal=subtotal,
        discount_amount=discount_amount,
        taxable=taxable,
        tax_amount=tax_amount,
        total=total,
        effective_discount_percent=max(effective, ZERO),
    )


def needs_approval(effective_discount_percent: Decimal, threshold: Decimal) -> bool:
    return effective_discount_percent > threshold


def parse_decimal(value: object, *, label: str) -> Decimal:
    """A finite Decimal from user input ('12.50', 12, Decimal), or ValueError saying why."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"Enter a number for the {label}.")
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip()
    if not text:
        raise ValueError(f"Enter a number for the {label}.")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text[:20]}” is not a number; enter the {label} like 12.50.") from None
    if not number.is_finite():
        raise ValueError(f"Enter a finite number for the {label}.")
    return number


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _check(
    number: Decimal, *, label: str, low: Decimal, high: Decimal, places: int, low_open: bool
) -> str | None:
    if low_open and number <= low:
        return f"The {label} must be more than {low}."
    if number < low:
        return f"The {label} cannot be negative." if low == 0 else f"The {label} is at least {low}."
    if number > high:
        return f"The {label} is at most {high:,}."
    if _places(number) > places:
        return f"The {label} has at most {places} decimal places."
    return None


def quantity_error(quantity: Decimal) -> str | None:
    return _check(quantity, label="quantity", low=ZERO, high=MAX_QUANTITY, places=2, low_open=True)


def unit_price_error(unit_price: Decimal) -> str | None:
    return _check(
        unit_price, label="unit price", low=ZERO, high=MAX_UNIT_PRICE, places=2, low_open=False
    )


def percent_error(percent: Decimal, *, label: str = "discount") -> str | None:
    return _check(percent, label=label, low=ZERO, high=HUNDRED, places=2, low_open=False)


def rate_error(rate: Decimal) -> str | None:
    return _check(rate, label="exchange rate", low=ZERO, high=MAX_RATE, places=8, low_open=True)


def line_errors(line: LineAmounts) -> dict[str, str]:
    errors = {
        "quantity": quantity_error(line.quantity),
        "unit_price": unit_price_error(line.unit_price),
        "discount_percent": percent_error(line.discount_percent),
    }
    return {field: message for field, message in errors.items() if message}


def totals_error(totals: Totals) -> str | None:
    if totals.list_total > MAX_TOTAL or totals.total > MAX_TOTAL:
        return "The quote total is too large to store; split it into several quotes."
    return None
