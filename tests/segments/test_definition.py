"""Validation of a segment definition: what is accepted, normalised, and how problems are named."""

import pytest
from django.core.exceptions import ValidationError

from revline.segments.definition import (
    MAX_CONDITIONS,
    describe,
    empty_definition,
    references,
    validate,
)


def one(condition):
    return {"match": "all", "conditions": [condition]}


def messages(definition) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate(definition)
    return caught.value.messages


def test_valid_conditions_are_normalised():
    definition = {
        "match": "any",
        "conditions": [
            {"type": "field", "field": "country", "op": "in", "value": "de, fr"},
            {"type": "field", "field": "fit_score", "op": "gte", "value": "50"},
            {"type": "tag", "tag": "  vip "},
            {"type": "page_visits", "url_contains": "/pricing", "min_count": "3", "days": 30},
            {"type": "open_deal", "stage": ""},
        ],
    }
    assert validate(definition) == {
        "match": "any",
        "conditions": [
            {"type": "field", "field": "country", "op": "in", "value": ["DE", "FR"]},
            {"type": "field", "field": "fit_score", "op": "gte", "value": 50},
            {"type": "tag", "tag": "vip", "negate": False},
            {
                "type": "page_visits",
                "url_contains": "/pricing",
                "min_count": 3,
                "days": 30,
                "negate": False,
            },
            {"type": "open_deal", "stage": None, "negate": False},
        ],
    }


def test_empty_definition_is_valid():
    assert validate(empty_definition()) == {"match": "all", "conditions": []}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"type": "field", "field": "shoe_size", "op": "eq", "value": 1},
         "Condition 1 (Contact field): unknown field “shoe_size”"),
        ({"type": "field", "field": "country", "op": "gt", "value": "DE"},
         "Condition 1 (Country): Country cannot use “gt”"),
        ({"type": "field", "field": "country", "op": "eq", "value": "Germany"},
         "Condition 1 (Country): “GERMANY” is not a two-letter country code."),
        ({"type": "field", "field": "first_name", "op": "eq", "value": "  "},
         "Condition 1 (First name): enter a value."),
        ({"type": "field", "field": "fit_score", "op": "gt", "value": "lots"},
         "Condition 1 (Fit score): the value must be a whole number."),
        ({"type": "field", "field": "created_at", "op": "before", "value": "31/12/2024"},
         "Condition 1 (Created): enter a date as YYYY-MM-DD."),
        ({"type": "field", "field": "lifecycle_stage", "op": "eq", "value": "vip"},
         "Condition 1 (Lifecycle stage): choose one of subscriber"),
        ({"type": "email_opened", "days": 0},
         "Condition 1 (Opened any email): the number of days must be between 1 and 3,650."),
        ({"type": "campaign_touched"}, "Condition 1 (Touched campaign): choose a campaign."),
        ({"type": "tag", "tag": "vip", "negate": "yes"},
         "Condition 1 (Tag): negate must be true or false."),
        ({"type": "teleported"}, "Condition 1 (condition): unknown type “teleported”"),
        ("country = DE", "Condition 1 (condition): must be an object."),
    ],
)  # fmt: skip
def test_bad_conditions_are_named_in_the_error(condition, message):
    [got] = messages(one(condition))
    assert got.startswith(message)


def test_every_problem_is_reported_with_its_position():
    definition = {
        "match": "all",
        "conditions": [
            {"type": "tag", "tag": "vip"},
            {"match": "any", "conditions": [{"type": "tag", "tag": ""}, {"type": "consent"}]},
        ],
    }
    assert messages(definition) == [
        "Condition 2.1 (Tag): enter a tag.",
        "Condition 2.2 (Consent): enter a consent purpose.",
    ]


def test_groups_nest_at_most_three_levels():
    deep = {"match": "all", "conditions": [{"type": "tag", "tag": "x"}]}
    for _ in range(3):
        deep = {"match": "all", "conditions": [deep]}
    assert messages(deep) == ["Group 1.1.1: groups nest at most 3 levels."]
    ok = {"match": "all", "conditions": [{"match": "any", "conditions": [
        {"match": "all", "conditions": [{"type": "tag", "tag": "x"}]}]}]}  # fmt: skip
    assert validate(ok) == ok | {
        "conditions": [
            {
                "match": "any",
                "conditions": [
                    {"match": "all", "conditions": [{"type": "tag", "tag": "x", "negate": False}]}
                ],
            }
        ]
    }


def test_at_most_fifty_conditions():
    conditions = [{"type": "tag", "tag": f"t{i}"} for i in range(MAX_CONDITIONS)]
    assert len(validate({"match": "all", "conditions": conditions})["conditions"]) == 50
    assert messages({"match": "all", "conditions": [*conditions, {"type": "tag", "tag": "x"}]}) == [
        "The segment has 51 conditions; at most 50 are allowed."
    ]


def test_bad_groups_are_reported():
    assert messages({"match": "some", "conditions": []}) == [
        "The segment: match must be “all” or “any”."
    ]
    assert messages({"match": "all", "conditions": "everyone"}) == [
        "The segment: conditions must be a list."
    ]
    assert messages({"match": "all", "conditions": [{"match": "any", "conditions": []}]}) == [
        "Group 1 is empty: add a condition or remove the group."
    ]
    assert messages([]) == ["The segment must be an object with match and conditions."]


def test_references_and_words():
    definition = validate(
        {
            "match": "all",
            "conditions": [
                {"type": "email_clicked", "campaign": 7},
                {"type": "email_opened", "days": 90, "negate": True},
                {
                    "match": "any",
                    "conditions": [
                        {
                            "type": "page_visits",
                            "url_contains": "/pricing",
                            "min_count": 3,
                            "days": 30,
                        },
                        {"type": "field", "field": "owner", "op": "eq", "value": 4},
                        {"type": "open_deal", "stage": 9},
                    ],
                },
            ],
        }
    )
    assert references(definition) == {"campaign": {7}, "stage": {9}, "form": set(), "user": {4}}
    labels = {"campaign": {7: "Spring"}, "stage": {}, "user": {4: "Mia"}}
    assert [(line.depth, line.text) for line in describe(definition, labels)] == [
        (0, "Match all of:"),
        (1, "Clicked an email of campaign “Spring”"),
        (1, "Has not opened any email in 90 days"),
        (1, "Match any of:"),
        (2, "Visited a page matching “/pricing” at least 3 times in the last 30 days"),
        (2, "Owner is “Mia”"),
        (2, "Has an open deal in stage “#9 (deleted)”"),
    ]
    assert [line.text for line in describe(empty_definition(), {})] == [
        "Every contact (no conditions)"
    ]
