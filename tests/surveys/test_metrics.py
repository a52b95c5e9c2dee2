"""NPS and CSAT arithmetic, distributions and the skip-logic walker, with hand-worked numbers."""

import pytest

from revline.surveys.metrics import (
    END,
    QuestionSpec,
    Rule,
    csat,
    distribution,
    missing_required,
    nps,
    nps_group,
    rules_from_json,
    shown_questions,
)


def test_nps_counts_groups_and_scores_percent_promoters_minus_percent_detractors():
    # Given 10 answers: 4 promoters (9, 10, 10, 9), 3 passives (7, 8, 8), 3 detractors (0, 6, 5)
    result = nps([9, 10, 10, 9, 7, 8, 8, 0, 6, 5])

    # Then 40 % - 30 % = 10
    assert (result.responses, result.promoters, result.passives, result.detractors) == (10, 4, 3, 3)
    assert result.score == pytest.approx(10.0)
    assert result.promoter_pct == pytest.approx(40.0)
    assert result.passive_pct == pytest.approx(30.0)
    assert result.detractor_pct == pytest.approx(30.0)


def test_nps_bounds_are_minus_100_and_100_and_none_without_answers():
    assert nps([0, 3, 6]).score == pytest.approx(-100.0)
    assert nps([9, 10]).score == pytest.approx(100.0)
    assert nps([7, 8]).score == pytest.approx(0.0)
    assert nps([]).score is None


def test_nps_group_edges():
    assert [nps_group(v) for v in (0, 6, 7, 8, 9, 10)] == [
        "detractor", "detractor", "passive", "passive", "promoter", "promoter",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="between 0 and 10"):
        nps_group(11)


def test_nps_of_three_answers_is_a_third():
    # 1 promoter, 1 passive, 1 detractor: 33.3 % - 33.3 % = 0; 2 promoters, 1 detractor: 33.3
    assert nps([10, 7, 2]).score == pytest.approx(0.0)
    assert nps([10, 9, 2]).score == pytest.approx(100 / 3)


def test_csat_is_the_share_of_4_and_5_and_the_mean():
    # Given 1, 2, 4, 5, 5: 3 satisfied of 5 = 60 %, mean 17 / 5 = 3.4
    result = csat([1, 2, 4, 5, 5])
    assert result.responses == 5
    assert result.satisfied == 3
    assert result.score == pytest.approx(60.0)
    assert result.mean == pytest.approx(3.4)
    assert csat([]).score is None and csat([]).mean is None
    with pytest.raises(ValueError, match="between 1 and 5"):
        csat([0])


def test_distribution_keeps_order_zero_bars_and_options_no_longer_offered():
    bars = distribution({"Price": 3, "Support": 1, "Old option": 1}, order=["Support", "Price", "UX"],
                        base=5)  # fmt: skip
    assert [(b.label, b.count, b.pct) for b in bars] == [
        ("Support", 1, 20.0), ("Price", 3, 60.0), ("UX", 0, 0.0), ("Old option", 1, 20.0),
    ]  # fmt: skip
    assert distribution({}, order=["a"], base=0)[0].pct == 0.0


# --- Skip logic -------------------------------------------------------------------------------

NPS_FLOW = [
    # Detractors (<= 6) go to "what went wrong"; others to "what do you like"; both end after.
    QuestionSpec("score", "nps", required=True, rules=(Rule("lte", 6, "wrong"),)),
    QuestionSpec("like", "text", required=True, rules=(Rule("eq", "x", END),)),
    QuestionSpec("skip_to_end", "single", rules=(Rule("eq", "No", END),)),
    QuestionSpec("wrong", "text", required=True),
    QuestionSpec("features", "multiple", rules=(Rule("includes", "Reports", "last"),)),
    QuestionSpec("middle", "rating", required=True),
    QuestionSpec("last", "text"),
]


def test_walker_without_answers_shows_every_question_in_order():
    assert shown_questions(NPS_FLOW, {}) == [
        "score", "like", "skip_to_end", "wrong", "features", "middle", "last",
    ]  # fmt: skip


def test_walker_jumps_a_detractor_forward_to_its_target():
    shown = shown_questions(NPS_FLOW, {"score": 3})
    assert shown == ["score", "wrong", "features", "middle", "last"]


def test_walker_ends_the_survey_on_an_end_rule():
    assert shown_questions(NPS_FLOW, {"score": 9, "like": "x"}) == ["score", "like"]
    assert shown_questions(NPS_FLOW, {"score": 9, "skip_to_end": "No"}) == [
        "score", "like", "skip_to_end",
    ]  # fmt: skip


def test_walker_includes_rule_on_multiple_choice_skips_the_middle():
    shown = shown_questions(NPS_FLOW, {"score": 2, "features": ["Price", "Reports"]})
    assert shown == ["score", "wrong", "features", "last"]


def test_gte_rule_and_first_matching_rule_wins():
    flow = [
        QuestionSpec("a", "nps", rules=(Rule("gte", 9, "c"), Rule("gte", 0, END))),
        QuestionSpec("b", "text"),
        QuestionSpec("c", "text"),
    ]
    assert shown_questions(flow, {"a": 10}) == ["a", "c"]
    assert shown_questions(flow, {"a": 8}) == ["a"]
    assert shown_questions(flow, {}) == ["a", "b", "c"]


def test_backward_or_unknown_targets_are_ignored_so_the_walk_always_ends():
    flow = [
        QuestionSpec("a", "single"),
        QuestionSpec("b", "single", rules=(Rule("eq", "loop", "a"), Rule("eq", "x", "nowhere"))),
        QuestionSpec("c", "text"),
    ]
    assert shown_questions(flow, {"b": "loop"}) == ["a", "b", "c"]
    assert shown_questions(flow, {"b": "x"}) == ["a", "b", "c"]


def test_required_only_counts_for_questions_shown():
    # A promoter skips "wrong"; a detractor skips "like": neither is then missing
    assert missing_required(NPS_FLOW, {"score": 10, "like": "Great", "middle": 4}) == ["wrong"]
    assert missing_required(NPS_FLOW, {"score": 10, "like": "x"}) == []
    assert missing_required(NPS_FLOW, {"score": 2, "wrong": "Slow", "middle": 3}) == []
    assert missing_required(NPS_FLOW, {}) == ["score", "like", "wrong", "middle"]


def test_rules_from_json_drops_malformed_entries():
    raw = [
        {"op": "lte", "value": 6, "goto": "q2"},
        {"op": "bogus", "value": 1, "goto": "q2"},
        {"op": "eq", "value": None, "goto": "q2"},
        {"op": "eq", "value": "A", "goto": ""},
        "not a dict",
    ]
    assert rules_from_json(raw) == (Rule("lte", 6, "q2"),)
    assert rules_from_json("nope") == ()
