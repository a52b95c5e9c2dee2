"""Won/lost analysis numbers, computed from plain rows (no database)."""

from revline.sales.closing_stats import (
    ClosedDealFact,
    furthest_stages,
    shares,
    win_loss_report,
    win_rates,
)


def test_furthest_stage_is_the_highest_position_ever_entered_even_after_moving_back():
    entries = [(1, "qual", 1), (1, "proposal", 3), (1, "discovery", 2), (2, "qual", 1)]
    assert furthest_stages(entries) == {1: "proposal", 2: "qual"}


def test_win_rates_count_won_and_lost_and_follow_the_given_order_with_unknown_last():
    pairs = [("a", True), ("a", False), ("b", True), (None, False), ("c", False), ("a", True)]
    rows = win_rates(pairs, labels={"a": "Alpha", "b": "Beta", "c": "Gamma"}, order=["b", "a"])
    assert [(r.label, r.won, r.lost, r.win_rate) for r in rows] == [
        ("Beta", 1, 0, 100.0),
        ("Alpha", 2, 1, 66.7),
        ("Gamma", 0, 1, 0.0),
        ("—", 0, 1, 0.0),
    ]


def test_win_rates_without_order_put_the_most_closed_deals_first():
    rows = win_rates([("x", True), ("y", True), ("y", False)], labels={"x": "X", "y": "Y"})
    assert [(r.label, r.closed) for r in rows] == [("Y", 2), ("X", 1)]


def test_shares_are_percent_of_all_deals_given():
    rows = shares(["p", "p", "q", None], labels={"p": "Price", "q": "Timing"})
    assert [(r.label, r.deals, r.share) for r in rows] == [
        ("Price", 2, 50.0),
        ("Timing", 1, 25.0),
        ("—", 1, 25.0),
    ]


def test_report_groups_by_stage_owner_source_and_splits_reasons_by_outcome():
    labels = {
        ("stage", 1): "Discovery",
        ("stage", 2): "Proposal",
        ("owner", 7): "Jonas",
        ("owner", 8): "Omar",
        ("source", "email"): "Email",
        ("reason", 1): "Best fit",
        ("reason", 2): "Price",
        ("competitor", 1): "Rival",
    }
    deals = [
        ClosedDealFact(
            1, True, ("stage", 2), ("reason", 1), None, ("owner", 7), ("source", "email")
        ),
        ClosedDealFact(
            2, True, ("stage", 2), ("reason", 1), None, ("owner", 8), ("source", "email")
        ),
        ClosedDealFact(
            3, False, ("stage", 2), ("reason", 2), ("competitor", 1), ("owner", 7), None
        ),
        ClosedDealFact(
            4, False, ("stage", 1), ("reason", 2), None, ("owner", 7), ("source", "email")
        ),
        ClosedDealFact(5, False, ("stage", 1), None, ("competitor", 1), ("owner", 8), None),
    ]
    report = win_loss_report(deals, labels=labels, stage_order=[("stage", 1), ("stage", 2)])
    assert (report.won, report.lost, report.closed, report.win_rate) == (2, 3, 5, 40.0)
    assert [(r.label, r.won, r.lost, r.win_rate) for r in report.by_stage] == [
        ("Discovery", 0, 2, 0.0),
        ("Proposal", 2, 1, 66.7),
    ]
    assert [(r.label, r.won, r.lost) for r in report.by_owner] == [("Jonas", 1, 2), ("Omar", 1, 1)]
    assert [(r.label, r.won, r.lost) for r in report.by_source] == [("Email", 2, 1), ("—", 0, 2)]
    assert [(r.label, r.deals, r.share) for r in report.won_reasons] == [("Best fit", 2, 100.0)]
    assert [(r.label, r.deals, r.share) for r in report.lost_reasons] == [
        ("Price", 2, 66.7),
        ("—", 1, 33.3),
    ]
    assert [(r.label, r.deals, r.share) for r in report.competitors] == [
        ("Rival", 2, 66.7),
        ("—", 1, 33.3),
    ]
