"""Quote money math (pure): exact examples, then properties over random lines and discounts."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revline.quotes import pricing
from revline.quotes.pricing import LineAmounts, quote_totals

D = Decimal


def test_line_total_rounds_half_up_to_the_cent():
    # 3 x 3.35 less 50 % = 5.025 → 5.03 (banker's rounding would give 5.02)
    assert pricing.line_total(D("3"), D("3.35"), D("50")) == D("5.03")
    assert pricing.line_total(D("1"), D("0.005"), D("0")) == D("0.01")
    assert pricing.line_total(D("2.5"), D("10"), D("100")) == D("0.00")


def test_quote_totals_worked_example():
    lines = [LineAmounts(D("10"), D("99.99"), D("10")), LineAmounts(D("1"), D("500"), D("0"))]

    totals = quote_totals(lines, discount_percent=D("5"), tax_percent=D("19"))

    assert totals.line_totals == (D("899.91"), D("500.00"))
    assert totals.list_total == D("1499.90")
    assert totals.subtotal == D("1399.91")
    assert totals.discount_amount == D("70.00")  # 69.9955 rounded half up
    assert totals.taxable == D("1329.91")
    assert totals.tax_amount == D("252.68")  # 252.6829
    assert totals.total == D("1582.59")
    # (1499.90 - 1329.91) / 1499.90 = 11.333… %
    assert totals.effective_discount_percent == D("11.33")


def test_empty_quote_is_zero_everywhere():
    totals = quote_totals([], discount_percent=D("20"), tax_percent=D("19"))

    assert (totals.subtotal, totals.total, totals.effective_discount_percent) == (0, 0, 0)


def test_free_lines_have_no_effective_discount_division_by_zero():
    totals = quote_totals(
        [LineAmounts(D("3"), D("0"), D("0"))], discount_percent=D("50"), tax_percent=D("0")
    )

    assert totals.effective_discount_percent == D("0")


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (pricing.quantity_error, D("0"), "The quantity must be more than 0."),
        (pricing.quantity_error, D("-1"), "The quantity must be more than 0."),
        (pricing.quantity_error, D("1000000.01"), "The quantity is at most 1,000,000."),
        (pricing.quantity_error, D("1.005"), "The quantity has at most 2 decimal places."),
        (pricing.unit_price_error, D("-0.01"), "The unit price cannot be negative."),
        (
            pricing.unit_price_error,
            D("10000000000.01"),
            "The unit price is at most 10,000,000,000.",
        ),
        (pricing.percent_error, D("100.01"), "The discount is at most 100."),
        (pricing.percent_error, D("-5"), "The discount cannot be negative."),
        (pricing.rate_error, D("0"), "The exchange rate must be more than 0."),
        (pricing.rate_error, D("1000001"), "The exchange rate is at most 1,000,000."),
    ],
)
def test_out_of_bounds_values_are_refused_with_a_message(check, value, message):
    assert check(value) == message


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (pricing.quantity_error, D("1000000")),
        (pricing.quantity_error, D("0.01")),
        (pricing.unit_price_error, D("0")),
        (pricing.unit_price_error, D("10000000000")),
        (pricing.percent_error, D("100")),
        (pricing.rate_error, D("0.00000001")),
    ],
)
def test_values_on_the_bounds_are_accepted(check, value):
    assert check(value) is None


@pytest.mark.parametrize("raw", ["abc", "1,5", "", "  ", "NaN", "Infinity", "1e", None, True])
def test_malformed_numbers_are_refused(raw):
    with pytest.raises(ValueError, match="number"):
        pricing.parse_decimal(raw, label="quantity")


def test_parse_decimal_accepts_plain_numbers():
    assert pricing.parse_decimal(" 12.50 ", label="price") == D("12.50")
    assert pricing.parse_decimal(3, label="price") == D("3")


quantities = st.decimals(min_value=D("0.01"), max_value=pricing.MAX_QUANTITY, places=2)
prices = st.decimals(min_value=D("0"), max_value=pricing.MAX_UNIT_PRICE, places=2)
percents = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
lines_strategy = st.lists(
    st.builds(LineAmounts, quantity=quantities, unit_price=prices, discount_percent=percents),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, discount=percents, tax=percents)
def test_total_is_always_the_sum_of_its_parts(lines, discount, tax):
    totals = quote_totals(lines, discount_percent=discount, tax_percent=tax)

    assert totals.subtotal == sum(totals.line_totals, D("0"))
    assert totals.taxable == totals.subtotal - totals.discount_amount
    assert totals.total == totals.subtotal - totals.discount_amount + totals.tax_amount
    for amount in (totals.subtotal, totals.discount_amount, totals.tax_amount, totals.total):
        assert amount == amount.quantize(D("0.01"))


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, discount=percents, tax=percents)
def test_nothing_is_negative_or_out_of_bounds(lines, discount, tax):
    totals = quote_totals(lines, discount_percent=discount, tax_percent=tax)

    assert D("0") <= totals.discount_amount <= totals.subtotal
    assert D("0") <= totals.subtotal
    assert D("0") <= totals.tax_amount <= totals.taxable
    assert totals.taxable <= totals.total
    assert D("0") <= totals.effective_discount_percent <= D("100")
    for line, line_total in zip(lines, totals.line_totals, strict=True):
        assert D("0") <= line_total <= pricing.round_money(line.quantity * line.unit_price)
    # Line totals round separately, so the subtotal may exceed the list total by half a cent a line.
    assert totals.subtotal <= totals.list_total + D("0.01") * len(lines)


@settings(max_examples=200, deadline=None)
@given(lines=lines_strategy, tax=percents)
def test_a_bigger_quote_discount_never_raises_the_total(lines, tax):
    low = quote_totals(lines, discount_percent=D("5"), tax_percent=tax)
    high = quote_totals(lines, discount_percent=D("25"), tax_percent=tax)

    assert high.total <= low.total
    assert high.effective_discount_percent >= low.effective_discount_percent


@given(
    quantity=quantities,
    price=prices,
    discount=percents,
)
def test_valid_inputs_raise_no_errors(quantity, price, discount):
    assert pricing.line_errors(LineAmounts(quantity, price, discount)) == {}
