"""ROI formulas: exact arithmetic, and "no data" (None, shown as "—") when a denominator is zero."""

from decimal import Decimal

from revline.analytics import roi
from revline.analytics.roi import Figures, Ratios


def test_roas_is_revenue_per_unit_of_spend_to_the_cent():
    assert roi.roas(Decimal("3000"), Decimal("1000")) == Decimal("3.00")
    assert roi.roas(Decimal("1000"), Decimal("950")) == Decimal("1.05")
    assert roi.roas(Decimal("0"), Decimal("50")) == Decimal("0.00")


def test_roas_without_spend_is_no_data():
    assert roi.roas(Decimal("500"), Decimal("0")) is None


def test_cost_per_rounds_half_up_and_is_none_without_a_count_or_spend():
    assert roi.cost_per(Decimal("1000"), 3) == Decimal("333.33")
    assert roi.cost_per(Decimal("0.05"), 2) == Decimal("0.03")
    assert roi.cost_per(Decimal("950"), 4) == Decimal("237.50")
    assert roi.cost_per(Decimal("0"), 4) is None
    assert roi.cost_per(Decimal("950"), 0) is None


def test_monthly_revenue_per_customer():
    assert roi.monthly_revenue_per_customer(Decimal("2400"), 2, term_months=12) == Decimal("100.00")
    assert roi.monthly_revenue_per_customer(Decimal("2400"), 0, term_months=12) is None


def test_payback_is_cac_over_monthly_revenue_per_customer():
    # CAC 600, revenue per customer 1200 over 12 months = 100 a month: 6 months to pay back.
    assert roi.payback_months(Decimal("1200"), Decimal("2400"), 2, term_months=12) == Decimal("6.0")
    # 300 * 12 / 550 = 6.5454…: unrounded intermediates, one decimal in the end.
    assert roi.payback_months(Decimal("300"), Decimal("550"), 1, term_months=12) == Decimal("6.5")
    # A monthly subscription: one deal is one month of revenue.
    assert roi.payback_months(Decimal("300"), Decimal("100"), 1, term_months=1) == Decimal("3.0")


def test_payback_without_customers_revenue_or_spend_is_no_data():
    assert roi.payback_months(Decimal("300"), Decimal("550"), 0, term_months=12) is None
    assert roi.payback_months(Decimal("300"), Decimal("0"), 2, term_months=12) is None
    assert roi.payback_months(Decimal("0"), Decimal("550"), 2, term_months=12) is None


def test_ratios_of_a_row():
    figures = Figures(
        spend=Decimal("600"),
        leads=3,
        mqls=3,
        sqls=2,
        customers=1,
        pipeline=Decimal("500"),
        revenue=Decimal("450"),
    )

    assert roi.ratios(figures, term_months=12) == Ratios(
        roas=Decimal("0.75"),
        cost_per_lead=Decimal("200.00"),
        cost_per_mql=Decimal("200.00"),
        cost_per_sql=Decimal("300.00"),
        cac=Decimal("600.00"),
        payback_months=Decimal("16.0"),
    )


def test_ratios_of_an_empty_row_are_all_no_data():
    assert roi.ratios(Figures()) == Ratios(None, None, None, None, None, None)
