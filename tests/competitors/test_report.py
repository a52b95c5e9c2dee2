"""The win/loss arithmetic by competitor, on grouped counts worked out by hand."""

from decimal import Decimal

from revline.competitors.report import (
    NO_REASON,
    LabelCount,
    Ranked,
    StatusTotal,
    csv_header,
    csv_rows,
    rank,
    report_build,
)

NAMES = {1: "Rivalsoft", 2: "Othercorp", 3: "Quietco"}


def build(**changes):
    given = {
        "names": NAMES,
        "totals": [
            StatusTotal(1, "won", 3, Decimal("4700")),
            StatusTotal(1, "lost", 2, Decimal("6000")),
            StatusTotal(1, "open", 1, Decimal("500")),
            StatusTotal(2, "won", 1, Decimal("3000")),
            StatusTotal(2, "lost", 1, Decimal("6000")),
        ],
        "lost_to": {1: 1, 2: 1},
        "reasons": [
            LabelCount(1, "Timing", 1),
            LabelCount(1, "Price", 1),
            LabelCount(2, None, 1),
        ],
        "objections": [
            LabelCount(1, "Price", 3),
            LabelCount(1, "Timing", 1),
            LabelCount(1, None, 2),
            LabelCount(2, "Timing", 1),
        ],
        "overall": [
            StatusTotal(0, "won", 3, Decimal("4700")),
            StatusTotal(0, "lost", 3, Decimal("12000")),
            StatusTotal(0, "open", 1, Decimal("500")),
        ],
    }
    return report_build(**{**given, **changes})


def test_each_competitor_gets_its_counts_rates_and_average_sizes():
    report = build()
    rival, other = report.rows
    assert (rival.name, rival.involved, rival.open, rival.won, rival.lost) == (
        "Rivalsoft", 6, 1, 3, 2,
    )  # fmt: skip
    assert rival.win_rate == 60.0  # 3 won of 5 closed
    assert rival.average_won == Decimal("1566.67")  # 4700 / 3
    assert rival.average_lost == Decimal("3000.00")
    assert rival.lost_to == 1
    assert (other.won, other.lost, other.win_rate, other.average_won) == (
        1, 1, 50.0, Decimal("3000.00"),
    )  # fmt: skip


def test_reasons_and_objections_are_ranked_by_count_then_name():
    rival, other = build().rows
    assert rival.reasons == [Ranked("Price", 1), Ranked("Timing", 1)]
    assert rival.objections == [Ranked("Price", 3), Ranked("Timing", 1)]  # no label: ignored
    assert other.reasons == [Ranked(NO_REASON, 1)]


def test_top_keeps_the_most_frequent():
    rival, _ = build(top=1).rows
    assert rival.objections == [Ranked("Price", 3)]


def test_overall_counts_each_deal_once():
    overall = build().overall
    assert (overall.involved, overall.won, overall.lost, overall.win_rate) == (7, 3, 3, 50.0)
    assert overall.average_lost == Decimal("4000.00")


def test_rows_come_most_deals_first_and_only_competitors_with_deals():
    report = build(lost_to={1: 1, 2: 1, 3: 0})
    assert [r.name for r in report.rows] == ["Rivalsoft", "Othercorp"]
    only_lost_to = build(totals=[], lost_to={3: 2})
    assert [(r.name, r.lost_to, r.involved) for r in only_lost_to.rows] == [("Quietco", 2, 0)]


def test_no_closed_deal_means_no_rate_and_no_average():
    report = build(totals=[StatusTotal(1, "open", 2, Decimal("900"))], lost_to={})
    (row,) = report.rows
    assert (row.win_rate, row.average_won, row.average_lost) == (None, None, None)
    assert report.chart == {"labels": ["Rivalsoft"], "won": [0], "lost": [0], "rates": [None]}


def test_rank_sums_repeated_labels_and_drops_zero_counts():
    assert rank([("b", 1), ("a", 2), ("b", 2), ("c", 0)]) == [Ranked("b", 3), Ranked("a", 2)]


def test_csv_rows_are_plain_values():
    report = build()
    assert csv_header("EUR")[6] == "average_won_EUR"
    assert next(iter(csv_rows(report))) == [
        "Rivalsoft", 6, 1, 3, 2, 60.0, Decimal("1566.67"), Decimal("3000.00"), 1,
        "Price (1); Timing (1)", "Price (3); Timing (1)",
    ]  # fmt: skip
