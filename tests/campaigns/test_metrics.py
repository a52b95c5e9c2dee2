"""Campaign metric formulas: exact values, and None (not 0) when a denominator is zero."""

from decimal import Decimal

from revline.campaigns import metrics
from revline.campaigns.metrics import Derived, Figures, Progress


def test_ctr_is_a_percent_with_two_decimals():
    assert metrics.ctr(clicks=37, impressions=1200) == Decimal("3.08")
    assert metrics.ctr(clicks=1, impressions=3) == Decimal("33.33")
    assert metrics.ctr(clicks=0, impressions=0) is None


def test_cost_per_rounds_half_up_to_cents():
    assert metrics.cost_per(Decimal("100"), 3) == Decimal("33.33")
    assert metrics.cost_per(Decimal("0.05"), 2) == Decimal("0.03")
    assert metrics.cost_per(Decimal("100"), 0) is None


def test_roas_is_revenue_per_unit_of_cost():
    assert metrics.roas(Decimal("3250"), Decimal("1000")) == Decimal("3.25")
    assert metrics.roas(Decimal("1000"), Decimal("0")) is None


def test_share_is_a_percent_with_one_decimal():
    assert metrics.share(Decimal("150"), Decimal("200")) == Decimal("75.0")
    assert metrics.share(3, 2) == Decimal("150.0")
    assert metrics.share(5, None) is None
    assert metrics.share(5, 0) is None


def test_derive_all_ratios():
    figures = Figures(
        impressions=10_000,
        clicks=250,
        cost=Decimal("1200"),
        leads=48,
        mqls=20,
        sqls=8,
        pipeline=Decimal("90000"),
        won_revenue=Decimal("30000"),
        new_customers=3,
    )

    assert metrics.derive(figures) == Derived(
        ctr=Decimal("2.50"),
        cost_per_lead=Decimal("25.00"),
        roas=Decimal("25.00"),
        cac=Decimal("400.00"),
    )
    # Cost and revenue in different currencies cannot be divided.
    assert metrics.derive(figures, same_currency=False).roas is None


def test_derive_with_nothing_recorded_has_no_ratios():
    assert metrics.derive(Figures()) == Derived(ctr=None, cost_per_lead=None, roas=None, cac=None)


def test_plan_vs_actual_per_goal():
    figures = Figures(leads=150, mqls=60, sqls=0, pipeline=Decimal("120000"))
    goals = {
        "leads": 200,
        "mqls": 50,
        "sqls": None,
        "pipeline": Decimal("100000"),
        "won_revenue": 0,
    }

    rows = metrics.plan_vs_actual(goals, figures)

    assert rows == [
        Progress("leads", "Leads", 200, 150, Decimal("75.0"), False),
        Progress("mqls", "MQLs", 50, 60, Decimal("120.0"), False),
        Progress("sqls", "SQLs", None, 0, None, False),
        Progress(
            "pipeline", "Pipeline", Decimal("100000"), Decimal("120000"), Decimal("120.0"), True
        ),
        Progress("won_revenue", "Won revenue", 0, Decimal("0"), None, True),
    ]
    assert [(r.bar, r.reached) for r in rows] == [
        (Decimal("75.0"), False),
        (Decimal("100"), True),
        (Decimal("0"), False),
        (Decimal("100"), True),
        (Decimal("0"), False),
    ]
