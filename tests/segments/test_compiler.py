"""Each condition type selects exactly the contacts it should (and no others), in one query."""

import pytest

from revline.people.models import Contact
from revline.segments.compiler import PAGE_VISITS_STRATEGIES, compile_definition

from .conftest import NOW, names, one

ALL = ["Ada", "Bob", "Cy"]


def field(name: str, op: str, value=None, kind: str = "field") -> dict:
    condition = {"type": kind, "field": name, "op": op}
    if value is not None:
        condition["value"] = value
    return condition


FIELD_CASES = [
    (field("first_name", "eq", "ada"), ["Ada"]),
    (field("first_name", "neq", "ADA"), ["Bob", "Cy"]),
    (field("last_name", "contains", "uil"), ["Bob"]),
    (field("last_name", "not_contains", "uil"), ["Ada", "Cy"]),
    (field("email", "starts_with", "BOB@"), ["Bob"]),
    (field("email", "is_empty"), ["Cy"]),
    (field("email", "not_empty"), ["Ada", "Bob"]),
    (field("title", "in", ["cto", "CEO"]), ["Ada"]),
    (field("source", "eq", "webinar"), ["Ada"]),
    (field("country", "eq", "de"), ["Ada"]),
    (field("country", "in", ["DE", "FR"]), ["Ada", "Bob"]),
    (field("country", "is_empty"), ["Cy"]),
    (field("lifecycle_stage", "eq", "customer"), ["Cy"]),
    (field("lifecycle_stage", "neq", "customer"), ["Ada", "Bob"]),
    (field("lifecycle_stage", "in", ["lead", "mql"]), ["Ada", "Bob"]),
    (field("fit_score", "gte", 50), ["Ada", "Cy"]),
    (field("fit_score", "gt", 50), ["Ada"]),
    (field("fit_score", "lt", 50), ["Bob"]),
    (field("fit_score", "lte", 10), ["Bob"]),
    (field("engagement_score", "eq", 90), ["Cy"]),
    (field("engagement_score", "neq", 90), ["Ada", "Bob"]),
    (field("created_at", "before", "2025-01-11"), ["Ada"]),
    (field("created_at", "after", "2025-06-19"), ["Bob"]),
    (field("created_at", "within_last_days", 30), ["Bob"]),
    (field("created_at", "more_than_days_ago", 30), ["Ada", "Cy"]),
    (field("owner", "is_empty"), ["Bob", "Cy"]),
    (field("owner", "not_empty"), ["Ada"]),
    (field("name", "contains", "acme", "company"), ["Ada"]),
    (field("domain", "eq", "acme.example", "company"), ["Ada"]),
    (field("industry", "eq", "retail", "company"), ["Cy"]),
    # Contacts without a company are not in Retail, so "is not" selects them.
    (field("industry", "neq", "retail", "company"), ["Ada", "Bob"]),
    (field("industry", "is_empty", kind="company"), ["Bob"]),
    (field("size", "eq", "51-200", "company"), ["Ada"]),
    (field("size", "is_empty", kind="company"), ["Bob", "Cy"]),
    (field("country", "eq", "DE", "company"), ["Ada"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("condition", "expected"), FIELD_CASES)
def test_field_conditions_select_exactly_the_matching_contacts(world, condition, expected):
    assert names(one(condition)) == expected


@pytest.mark.django_db
def test_owner_condition_names_a_user(world):
    assert names(one(field("owner", "eq", world.owner.pk))) == ["Ada"]
    # "is not" keeps the contacts without an owner
    assert names(one(field("owner", "neq", world.owner.pk))) == ["Bob", "Cy"]
    assert names(one(field("owner", "in", [world.owner.pk]))) == ["Ada"]


def behaviour_cases(w) -> list[tuple[dict, list[str]]]:
    return [
        ({"type": "tag", "tag": "vip"}, ["Ada"]),
        ({"type": "tag", "tag": "vip", "negate": True}, ["Bob", "Cy"]),
        ({"type": "tag", "tag": "no-such-tag"}, []),
        # The newest record per purpose is in force: Bob withdrew, Cy consented to calls only.
        ({"type": "consent", "purpose": "marketing_email"}, ["Ada"]),
        ({"type": "consent", "purpose": "marketing_email", "negate": True}, ["Bob", "Cy"]),
        ({"type": "consent", "purpose": "phone_calls"}, ["Cy"]),
        ({"type": "campaign_touched", "campaign": w.spring.pk}, ["Ada", "Bob"]),
        ({"type": "campaign_touched", "campaign": w.autumn.pk}, []),
        ({"type": "campaign_touched", "campaign": w.spring.pk, "negate": True}, ["Cy"]),
        ({"type": "campaign_recipient", "campaign": w.spring.pk}, ["Ada", "Bob"]),
        # Cy's autumn send failed: not a recipient.
        ({"type": "campaign_recipient", "campaign": w.autumn.pk}, []),
        ({"type": "email_clicked", "campaign": w.spring.pk}, ["Ada"]),
        ({"type": "email_clicked", "campaign": w.spring.pk, "negate": True}, ["Bob", "Cy"]),
        ({"type": "email_opened", "days": 30}, ["Ada"]),
        ({"type": "email_opened", "days": 90, "negate": True}, ["Bob", "Cy"]),
        ({"type": "email_opened", "days": 365}, ["Ada", "Bob"]),
        ({"type": "page_visits", "url_contains": "/pricing", "min_count": 3, "days": 30}, ["Ada"]),
        (
            {"type": "page_visits", "url_contains": "/pricing", "min_count": 2, "days": 30},
            ["Ada", "Bob"],
        ),
        (
            {"type": "page_visits", "url_contains": "/pricing", "min_count": 3, "days": 60},
            ["Ada", "Bob"],
        ),
        (
            {
                "type": "page_visits",
                "url_contains": "/pricing",
                "min_count": 3,
                "days": 30,
                "negate": True,
            },
            ["Bob", "Cy"],
        ),
        ({"type": "page_visits", "url_contains": "/blog", "min_count": 1, "days": 7}, ["Cy"]),
        ({"type": "open_deal", "stage": w.proposal.pk}, ["Ada"]),
        ({"type": "open_deal", "stage": None}, ["Ada", "Cy"]),
        ({"type": "open_deal", "stage": w.proposal.pk, "negate": True}, ["Bob", "Cy"]),
        ({"type": "form_submitted", "form": w.demo_form.pk}, ["Ada"]),
        ({"type": "form_submitted", "form": w.demo_form.pk, "days": 30}, []),
        ({"type": "form_submitted", "form": w.demo_form.pk, "negate": True}, ["Bob", "Cy"]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("case", range(27))
def test_behaviour_conditions_select_exactly_the_matching_contacts(world, case):
    cases = behaviour_cases(world)
    assert len(cases) == 27
    condition, expected = cases[case]
    assert names(one(condition)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("strategy", PAGE_VISITS_STRATEGIES)
def test_every_page_visit_strategy_gives_the_same_contacts(world, strategy):
    for min_count, expected in ((1, [1, 1, 0]), (2, [1, 1, 0]), (3, [1, 0, 0]), (4, [0, 0, 0])):
        q = compile_definition(
            one({"type": "page_visits", "url_contains": "pricing", "min_count": min_count,
                 "days": 30}),
            now=NOW, strategy=strategy,
        )  # fmt: skip
        matched = set(Contact.objects.filter(q).values_list("pk", flat=True))
        got = [int(c.pk in matched) for c in (world.ada, world.bob, world.cy)]
        assert got == expected, (strategy, min_count)


@pytest.mark.django_db
def test_time_windows_are_relative_to_now(world):
    condition = one({"type": "email_opened", "days": 30})
    # Ten days ago Ada's open was in the future: the window ends at `now`.
    assert names(condition, now=NOW) == ["Ada"]
    assert names(condition, now=NOW - __import__("datetime").timedelta(days=11)) == []


@pytest.mark.django_db
def test_all_any_and_nested_groups(world):
    vip = {"type": "tag", "tag": "vip"}
    french = field("country", "eq", "FR")
    customer = field("lifecycle_stage", "eq", "customer")
    assert names({"match": "all", "conditions": [vip, french]}) == []
    assert names({"match": "any", "conditions": [vip, french]}) == ["Ada", "Bob"]
    nested = {
        "match": "any",
        "conditions": [
            customer,
            {"match": "all", "conditions": [french, field("fit_score", "lt", 20)]},
        ],
    }
    assert names(nested) == ["Bob", "Cy"]
    deeper = {
        "match": "all",
        "conditions": [
            field("email", "not_empty"),
            {"match": "any", "conditions": [vip, {"match": "all", "conditions": [french]}]},
        ],
    }
    assert names(deeper) == ["Ada", "Bob"]


@pytest.mark.django_db
def test_an_empty_segment_selects_everyone(world):
    assert names({"match": "all", "conditions": []}) == ALL
    assert names({"match": "any", "conditions": []}) == ALL


@pytest.mark.django_db
def test_a_segment_with_every_kind_of_condition_is_one_query(world, django_assert_num_queries):
    definition = {
        "match": "any",
        "conditions": [condition for condition, _ in behaviour_cases(world)]
        + [condition for condition, _ in FIELD_CASES[:20]],
    }
    with django_assert_num_queries(1):
        assert names(definition) == ALL
    with django_assert_num_queries(1):
        from revline.segments.selectors import segment_count

        assert segment_count(definition=definition, now=NOW) == 3


@pytest.mark.django_db
def test_contact_matches_answers_for_one_contact(world):
    from revline.segments.selectors import contact_matches

    definition = one({"type": "tag", "tag": "vip"})
    assert contact_matches(definition=definition, contact_id=world.ada.pk) is True
    assert contact_matches(definition=definition, contact_id=world.bob.pk) is False


@pytest.mark.django_db
def test_negated_conditions_on_missing_things_select_everyone(world):
    assert names(one({"type": "tag", "tag": "no-such-tag", "negate": True})) == ALL
    missing_pages = {"type": "page_visits", "url_contains": "/nowhere", "min_count": 2, "days": 9}
    assert names(one({**missing_pages, "negate": True})) == ALL
