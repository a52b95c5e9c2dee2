"""The attribution engine: every model hands out exactly each journey's value and one conversion."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from revline.analytics.attribution import Journey, Model, attribute, split_evenly

D = Decimal


def credits(result):
    return {k: (c.revenue, round(c.conversions, 6)) for k, c in result.credits.items()}


JOURNEYS = [
    Journey(value=D("900"), touches=["search", "social", "email"]),
    Journey(value=D("100"), touches=["email"]),
    Journey(value=D("50"), touches=[]),
    Journey(value=D("300"), touches=["social", "search", "social"]),
]


def test_first_touch_credits_the_first_campaign():
    result = attribute(JOURNEYS, Model.FIRST_TOUCH)

    assert credits(result) == {
        "search": (D("900"), 1.0),
        "email": (D("100"), 1.0),
        "social": (D("300"), 1.0),
    }
    assert result.unattributed_revenue == D("50")
    assert result.unattributed_conversions == 1


def test_last_touch_credits_the_last_campaign():
    result = attribute(JOURNEYS, Model.LAST_TOUCH)

    assert credits(result) == {"email": (D("1000"), 2.0), "social": (D("300"), 1.0)}


def test_linear_splits_equally_and_repeated_touches_get_repeated_shares():
    result = attribute(JOURNEYS, Model.LINEAR)

    assert credits(result) == {
        "search": (D("300") + D("100"), round(1 / 3 + 1 / 3, 6)),
        "social": (D("300") + D("200"), round(1 / 3 + 2 / 3, 6)),
        "email": (D("300") + D("100"), round(1 / 3 + 1, 6)),
    }
    assert result.total_revenue == D("1350")


def test_split_evenly_keeps_every_cent():
    assert split_evenly(D("100"), 3) == [D("33.34"), D("33.33"), D("33.33")]
    assert split_evenly(D("0.02"), 3) == [D("0.01"), D("0.01"), D("0.00")]
    assert split_evenly(D("10"), 1) == [D("10.00")]


def test_no_journeys_means_no_credit():
    result = attribute([], Model.LINEAR)

    assert result.credits == {}
    assert result.total_revenue == 0


journeys_strategy = st.lists(
    st.builds(
        Journey,
        value=st.decimals(
            min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False
        ),
        touches=st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=8),
    ),
    max_size=30,
)


@given(journeys_strategy, st.sampled_from(list(Model)))
def test_every_model_reconciles_to_total_value_and_conversions(journeys, model):
    result = attribute(journeys, model)

    assert result.total_revenue == sum((j.value for j in journeys), D("0"))
    credited = sum(c.conversions for c in result.credits.values()) + result.unattributed_conversions
    assert abs(credited - len(journeys)) < 1e-9
