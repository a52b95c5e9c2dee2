"""The pure part of lead scoring: rule checks, matching per operator, decay arithmetic, limits
and explanations (no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from revline.leads import scoring
from revline.leads.scoring import EngagementRuleSpec, FitRuleSpec

T0 = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
KINDS = ["page_view", "cta_click", "form_submission"]


def fit_errors(**overrides):
    data = {"field": "contact.title", "operator": "contains", "value": "VP", "points": 15}
    data.update(overrides)
    return scoring.fit_rule_errors(**data)


def engagement_errors(**overrides):
    data = {
        "name": "Pricing",
        "touchpoint_kind": "page_view",
        "kinds": KINDS,
        "url_pattern": "/pricing",
        "points": 15,
        "max_per_period": 3,
        "period_days": 7,
    }
    data.update(overrides)
    return scoring.engagement_rule_errors(**data)


# --- Validation --------------------------------------------------------------------------------


def test_a_well_formed_fit_rule_has_no_errors():
    assert fit_errors() == {}
    assert fit_errors(operator="is_set", value="") == {}
    assert fit_errors(operator="in_list", value="DE, AT ,CH") == {}
    assert fit_errors(operator="matches", value=r"^(vp|head)\b") == {}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"value": "  "}, "value", "Give the value to compare with."),
        ({"operator": "matches", "value": "(unclosed"}, "value", None),
        ({"operator": "matches", "value": "a" * 301}, "value", None),
        ({"operator": "matches", "value": "(a+)+$"}, "value", None),
        (
            {"operator": "is_empty", "value": "x"},
            "value",
            "This operator takes no value; leave it empty.",
        ),
        ({"operator": "in_list", "value": " , ,"}, "value", None),
        ({"points": 101}, "points", "Points must be between -100 and 100."),
        ({"points": -101}, "points", "Points must be between -100 and 100."),
        ({"points": 0}, "points", None),
        ({"field": "contact.salary"}, "field", "Choose a field."),
        ({"operator": "starts_with"}, "operator", "Choose an operator."),
    ],
)
def test_a_malformed_fit_rule_is_refused_on_the_field_at_fault(overrides, field, message):
    errors = fit_errors(**overrides)

    assert list(errors) == [field]
    if message:
        assert errors[field] == message


def test_regex_messages_say_what_is_wrong():
    assert fit_errors(operator="matches", value="a" * 301)["value"] == (
        "The pattern is longer than 300 characters."
    )
    assert fit_errors(operator="matches", value="(unclosed")["value"].startswith(
        "Not a valid regular expression: missing ), unterminated subpattern"
    )
    assert "Nested repetition" in fit_errors(operator="matches", value=r"(\w*)*x")["value"]


def test_points_at_the_bounds_are_accepted():
    assert fit_errors(points=100) == {}
    assert fit_errors(points=-100) == {}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"touchpoint_kind": "tweet"}, "touchpoint_kind"),
        ({"url_pattern": "[pricing"}, "url_pattern"),
        ({"url_pattern": "/" * 301}, "url_pattern"),
        ({"points": 500}, "points"),
        ({"max_per_period": 0}, "max_per_period"),
        ({"period_days": 0}, "period_days"),
        ({"period_days": None}, "period_days"),
        ({"period_days": 366}, "period_days"),
    ],
)
def test_a_malformed_engagement_rule_is_refused(overrides, field):
    assert list(engagement_errors(**overrides)) == [field]


def test_a_well_formed_engagement_rule_has_no_errors():
    assert engagement_errors() == {}
    assert engagement_errors(url_pattern="", max_per_period=None) == {}


def test_half_life_bounds():
    assert scoring.half_life_error(None) is None
    assert scoring.half_life_error(30) is None
    assert scoring.half_life_error(0) == "The half-life is 1 to 3650 days, or empty for no decay."


# --- Fit matching --------------------------------------------------------------------------------


VALUES = scoring.fit_values(
    title="VP Marketing",
    country="DE",
    source="webinar",
    email="ana@Acme.example",
    company_industry="Software",
    company_size="201-1000",
    company_country="",
)


def rule(field, operator, value="", points=10, id=1):
    return FitRuleSpec.build(id=id, field=field, operator=operator, value=value, points=points)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (rule("contact.title", "contains", "vp"), True),
        (rule("contact.title", "contains", "director"), False),
        (rule("contact.title", "equals", "vp marketing"), True),
        (rule("contact.title", "equals", "VP"), False),
        (rule("contact.country", "in_list", "at, de, ch"), True),
        (rule("contact.country", "in_list", "FR,ES"), False),
        (rule("contact.title", "matches", r"^(vp|head)\b"), True),
        (rule("contact.title", "matches", r"^director"), False),
        (rule("company.size", "in_list", "201-1000,1001-5000"), True),
        (rule("company.industry", "is_set"), True),
        (rule("company.country", "is_set"), False),
        (rule("company.country", "is_empty"), True),
        (rule("contact.email_domain", "equals", "acme.example"), True),
        (rule("contact.source", "equals", "Webinar "), True),
    ],
)
def test_fit_rule_matching_per_operator(spec, expected):
    assert scoring.fit_rule_matches(spec, VALUES) is expected


def test_an_empty_field_never_matches_a_value_condition():
    empty = scoring.fit_values(title="", country="", source="", email="")

    assert scoring.fit_rule_matches(rule("contact.title", "contains", "vp"), empty) is False
    assert scoring.fit_rule_matches(rule("contact.title", "matches", ".*"), empty) is False
    assert (
        scoring.fit_values(title="", country="", source="", email="no-at")["contact.email_domain"]
        == ""
    )


def test_a_rule_that_cannot_be_evaluated_raises_for_the_caller_to_skip():
    broken = FitRuleSpec.build(id=7, field="contact.title", operator="matches", value="(", points=5)

    with pytest.raises(ValueError, match="Fit rule 7 has an invalid pattern"):
        scoring.fit_rule_matches(broken, VALUES)


def test_fit_rule_labels_read_like_sentences():
    assert scoring.fit_rule_label(field="contact.title", operator="contains", value="VP") == (
        "Job title contains 'VP'"
    )
    assert scoring.fit_rule_label(field="company.size", operator="in_list", value="1-10") == (
        "Size is one of '1-10'"
    )
    assert scoring.fit_rule_label(field="company.industry", operator="is_set", value="") == (
        "Industry is filled in"
    )


# --- Engagement matching, limits ---------------------------------------------------------------------


def engagement(kind="page_view", url_pattern="", campaign_id=None, id=1):
    return EngagementRuleSpec.build(
        id=id,
        name="r",
        kind=kind,
        url_pattern=url_pattern,
        campaign_id=campaign_id,
        points=15,
        max_per_period=None,
        period_days=1,
    )


def test_engagement_rules_match_kind_url_pattern_and_campaign():
    pricing = engagement(url_pattern="/pricing")
    assert scoring.engagement_rule_matches(
        pricing, kind="page_view", url="https://x.example/PRICING?a=1", campaign_id=None
    )
    assert not scoring.engagement_rule_matches(
        pricing, kind="page_view", url="https://x.example/blog", campaign_id=None
    )
    assert not scoring.engagement_rule_matches(
        pricing, kind="cta_click", url="https://x.example/pricing", campaign_id=None
    )
    spring = engagement(campaign_id=4)
    assert scoring.engagement_rule_matches(spring, kind="page_view", url="", campaign_id=4)
    assert not scoring.engagement_rule_matches(spring, kind="page_view", url="", campaign_id=5)
    assert not scoring.engagement_rule_matches(spring, kind="page_view", url="", campaign_id=None)


def test_the_period_limit_allows_up_to_max_hits():
    assert scoring.within_limit(hits_in_period=2, max_per_period=3) is True
    assert scoring.within_limit(hits_in_period=3, max_per_period=3) is False
    assert scoring.within_limit(hits_in_period=1000, max_per_period=None) is True


# --- Decay -------------------------------------------------------------------------------------------


def test_points_halve_every_half_life():
    assert scoring.decayed(16, T0, T0, 10) == 16.0
    assert scoring.decayed(16, T0, T0 + timedelta(days=10), 10) == 8.0
    assert scoring.decayed(16, T0, T0 + timedelta(days=20), 10) == 4.0
    assert scoring.decayed(16, T0, T0 + timedelta(days=5), 10) == pytest.approx(
        11.3137085, abs=1e-6
    )
    assert scoring.decayed(16, T0, T0 + timedelta(hours=12), 1) == pytest.approx(
        11.3137085, abs=1e-6
    )


def test_no_decay_without_half_life_before_the_start_or_without_a_start():
    assert scoring.decayed(16, T0, T0 + timedelta(days=100), None) == 16.0
    assert scoring.decayed(16, T0, T0 - timedelta(days=10), 10) == 16.0
    assert scoring.decayed(16, None, T0, 10) == 16.0


def test_adding_points_decays_what_was_held_first():
    points, at = scoring.engagement_add(
        points=20, at=T0, added=15, added_at=T0 + timedelta(days=30), half_life_days=30
    )

    assert (points, at) == (25.0, T0 + timedelta(days=30))


def test_an_older_touch_is_decayed_to_the_newer_time_so_order_does_not_matter():
    later = T0 + timedelta(days=30)
    in_order = scoring.engagement_add(points=0, at=None, added=20, added_at=T0, half_life_days=30)
    in_order = scoring.engagement_add(
        points=in_order[0], at=in_order[1], added=15, added_at=later, half_life_days=30
    )
    late = scoring.engagement_add(points=0, at=None, added=15, added_at=later, half_life_days=30)
    late = scoring.engagement_add(
        points=late[0], at=late[1], added=20, added_at=T0, half_life_days=30
    )

    assert in_order == late == (25.0, later)


def test_scores_round_half_away_from_zero():
    assert [scoring.score_round(v) for v in (2.5, 2.49, -2.5, -0.4, 0.0)] == [3, 2, -3, 0, 0]


# --- Explanations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "url", "params", "expected"),
    [
        ("page_view", "https://www.acme.example/pricing?utm_source=x", {}, "+15 visited /pricing"),
        (
            "cta_click",
            "https://www.acme.example/",
            {"label": "Book a demo"},
            "+15 clicked 'Book a demo'",
        ),
        ("form_submission", "", {}, "+15 submitted a form"),
        (
            "email_click",
            "",
            {"email": "November news"},
            "+15 clicked a link in the email 'November news'",
        ),
        ("meeting_booked", "", {}, "+15 booked a meeting"),
    ],
)
def test_engagement_reasons(kind, url, params, expected):
    assert scoring.engagement_reason(points=15, kind=kind, url=url, params=params) == expected


def test_sparkline_scales_values_into_the_box():
    assert scoring.sparkline_points([0, 10], width=100, height=10) == "0.0,10.0 100.0,0.0"
    assert scoring.sparkline_points([]) == ""
