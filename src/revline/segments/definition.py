"""A segment's condition tree: the catalogue of conditions, validation and wording. No ORM here.

Shape (stored in Segment.definition):

    {"match": "all" | "any", "conditions": [condition | group, ...]}

A group is the same shape nested (at most MAX_DEPTH levels counting the root); a condition is
a dict with a "type" and the keys of that type (see CONDITION_TYPES). Every non-field condition
takes "negate": true to mean its opposite ("has not opened", "does not have the tag").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

MAX_DEPTH = 3
MAX_CONDITIONS = 50
MAX_TEXT = 200
MAX_LIST = 100
MAX_DAYS = 3650
MAX_COUNT = 10_000
INT_LIMIT = 2**31 - 1

MATCHES = {"all": "all", "any": "any"}

# --- Field kinds and their operators ------------------------------------------------------------

TEXT, CODE, CHOICE, USER, NUMBER, DATE = "text", "code", "choice", "user", "number", "date"

OPS: dict[str, str] = {
    "eq": "is",
    "neq": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "is_empty": "is empty",
    "not_empty": "is not empty",
    "in": "is one of",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "before": "is before",
    "after": "is after",
    "within_last_days": "is within the last … days",
    "more_than_days_ago": "is more than … days ago",
}
KIND_OPS: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "neq", "contains", "not_contains", "starts_with", "is_empty", "not_empty", "in"),
    CODE: ("eq", "neq", "in", "is_empty", "not_empty"),
    CHOICE: ("eq", "neq", "in"),
    USER: ("eq", "neq", "in", "is_empty", "not_empty"),
    NUMBER: ("eq", "neq", "gt", "gte", "lt", "lte"),
    DATE: ("before", "after", "within_last_days", "more_than_days_ago"),
}
NO_VALUE_OPS = {"is_empty", "not_empty"}
DAYS_OPS = {"within_last_days", "more_than_days_ago"}

LIFECYCLE_STAGES = (
    "subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "evangelist",
    "disqualified", "recycled",
)  # fmt: skip
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+")


@dataclass(frozen=True)
class FieldSpec:
    label: str
    kind: str
    choices: tuple[str, ...] = ()
    optional_choice: bool = False  # a choice field that may be blank (is_empty/not_empty apply)

    @property
    def ops(self) -> tuple[str, ...]:
        ops = KIND_OPS[self.kind]
        return (*ops, "is_empty", "not_empty") if self.optional_choice else ops


CONTACT_FIELDS: dict[str, FieldSpec] = {
    "first_name": FieldSpec("First name", TEXT),
    "last_name": FieldSpec("Last name", TEXT),
    "email": FieldSpec("Email", TEXT),
    "title": FieldSpec("Job title", TEXT),
    "country": FieldSpec("Country", CODE),
    "source": FieldSpec("Source", TEXT),
    "lifecycle_stage": FieldSpec("Lifecycle stage", CHOICE, LIFECYCLE_STAGES),
    "owner": FieldSpec("Owner", USER),
    "created_at": FieldSpec("Created", DATE),
    "fit_score": FieldSpec("Fit score", NUMBER),
    "engagement_score": FieldSpec("Engagement score", NUMBER),
}
COMPANY_FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec("Company name", TEXT),
    "domain": FieldSpec("Company domain", TEXT),
    "industry": FieldSpec("Company industry", TEXT),
    "size": FieldSpec("Company size", CHOICE, COMPANY_SIZES, optional_choice=True),
    "country": FieldSpec("Company country", CODE),
}

# --- Non-field condition types ------------------------------------------------------------------

CONDITION_TYPES: dict[str, str] = {
    "field": "Contact field",
    "company": "Company field",
    "tag": "Tag",
    "consent": "Consent",
    "campaign_touched": "Touched campaign",
    "campaign_recipient": "Was sent an email of campaign",
    "email_clicked": "Clicked an email of campaign",
    "email_opened": "Opened any email",
    "page_visits": "Visited a page",
    "open_deal": "Has an open deal",
    "form_submitted": "Submitted a form",
}


class _Bad(Exception):
    """A problem with one condition; the caller adds which condition it is."""


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"enter {what}")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise _Bad(f"{what} is longer than {MAX_TEXT} characters")
    return value


def _int(value: Any, what: str, *, low: int = -INT_LIMIT, high: int = INT_LIMIT) -> int:
    if isinstance(value, bool):
        raise _Bad(f"{what} must be a whole number")
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,12}\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise _Bad(f"{what} must be a whole number")
    if not low <= value <= high:
        raise _Bad(f"{what} must be between {low:,} and {high:,}")
    return value


def _id(value: Any, what: str) -> int:
    if value in (None, ""):
        raise _Bad(f"choose {what}")
    return _int(value, what, low=1, high=2**63 - 1)


def _days(value: Any) -> int:
    return _int(value, "the number of days", low=1, high=MAX_DAYS)


def _negate(condition: Mapping[str, Any]) -> bool:
    value = condition.get("negate", False)
    if not isinstance(value, bool):
        raise _Bad("negate must be true or false")
    return value


def _code(value: Any) -> str:
    code = _text(value, "a country code").upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise _Bad(f"“{code}” is not a two-letter country code")
    return code


def _field_value(spec: FieldSpec, op: str, value: Any) -> Any:
    if op in NO_VALUE_OPS:
        return None
    if op in DAYS_OPS:
        return _days(value)

    def one(item: Any) -> Any:
        if spec.kind == TEXT:
            return _text(item, "a value")
        if spec.kind == CODE:
            return _code(item)
        if spec.kind == CHOICE:
            if item not in spec.choices:
                raise _Bad(f"choose one of {', '.join(spec.choices)}")
            return item
        if spec.kind == USER:
            return _id(item, "a user")
        if spec.kind == NUMBER:
            return _int(item, "the value")
        if spec.kind == DATE:
            try:
                return date.fromisoformat(str(item)).isoformat()
            except ValueError:
                raise _Bad("enter a date as YYYY-MM-DD") from None
        raise AssertionError(spec.kind)

    if op == "in":
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not value:
            raise _Bad("choose at least one value")
        if len(value) > MAX_LIST:
            raise _Bad(f"at most {MAX_LIST} values")
        return sorted({one(item) for item in value}, key=str)
    return one(value)


def _check_field(condition: Mapping[str, Any], fields: Mapping[str, FieldSpec]) -> dict[str, Any]:
    name = condition.get("field")
    if not isinstance(name, str) or name not in fields:
        raise _Bad(f"unknown field “{name}”; use one of {', '.join(fields)}")
    spec = fields[name]
    op = condition.get("op")
    if op not in spec.ops:
        raise _Bad(f"{spec.label} cannot use “{op}”; use one of {', '.join(spec.ops)}")
    checked = {"type": condition["type"], "field": name, "op": op}
    if op not in NO_VALUE_OPS:
        checked["value"] = _field_value(spec, op, condition.get("value"))
    return checked


def _check_other(condition: Mapping[str, Any]) -> dict[str, Any]:
    kind = condition["type"]
    out: dict[str, Any] = {"type": kind}
    if kind == "tag":
        out["tag"] = _text(condition.get("tag"), "a tag")[:50]
    elif kind == "consent":
        out["purpose"] = _text(condition.get("purpose"), "a consent purpose")[:50]
    elif kind in ("campaign_touched", "campaign_recipient", "email_clicked"):
        out["campaign"] = _id(condition.get("campaign"), "a campaign")
    elif kind == "email_opened":
        out["days"] = _days(condition.get("days"))
    elif kind == "page_visits":
        out["url_contains"] = _text(condition.get("url_contains"), "a URL pattern")
        out["min_count"] = _int(condition.get("min_count", 1), "the number of visits", low=1,
                                high=MAX_COUNT)  # fmt: skip
        out["days"] = _days(condition.get("days"))
    elif kind == "open_deal":
        stage = condition.get("stage")
        out["stage"] = None if stage in (None, "") else _id(stage, "a stage")
    elif kind == "form_submitted":
        out["form"] = _id(condition.get("form"), "a form")
        days = condition.get("days")
        out["days"] = None if days in (None, "") else _days(days)
    out["negate"] = _negate(condition)
    return out


def _check_condition(condition: Any) -> dict[str, Any]:
    if not isinstance(condition, dict):
        raise _Bad("must be an object")
    kind = condition.get("type")
    if kind not in CONDITION_TYPES:
        raise _Bad(f"unknown type “{kind}”; use one of {', '.join(CONDITION_TYPES)}")
    if kind == "field":
        return _check_field(condition, CONTACT_FIELDS)
    if kind == "company":
        return _check_field(condition, COMPANY_FIELDS)
    return _check_other(condition)


def is_group(node: Any) -> bool:
    return isinstance(node, dict) and "conditions" in node and "type" not in node


def path_label(path: tuple[int, ...]) -> str:
    return ".".join(str(i + 1) for i in path)


def condition_label(condition: Any) -> str:
    if not isinstance(condition, dict):
        return "condition"
    kind = condition.get("type")
    if kind in ("field", "company"):
        fields = CONTACT_FIELDS if kind == "field" else COMPANY_FIELDS
        spec = fields.get(condition.get("field"))  # type: ignore[arg-type]
        return spec.label if spec else CONDITION_TYPES[kind]
    return CONDITION_TYPES.get(kind, "condition") if isinstance(kind, str) else "condition"


@dataclass
class Checked:
    definition: dict[str, Any]
    errors: dict[tuple[int, ...], str]  # path of the condition or group -> what is wrong
    conditions: int = 0


def check(definition: Any) -> Checked:
    """Validate and normalise a definition, collecting every problem with where it is."""
    result = Checked(definition={"match": "all", "conditions": []}, errors={})

    def group(node: Any, path: tuple[int, ...], depth: int) -> dict[str, Any]:
        where = f"Group {path_label(path)}" if path else "The segment"
        if not isinstance(node, dict):
            result.errors[path] = f"{where} must be an object with match and conditions."
            return {"match": "all", "conditions": []}
        match = node.get("match", "all")
        if match not in MATCHES:
            result.errors[path] = f"{where}: match must be “all” or “any”."
        conditions = node.get("conditions")
        if not isinstance(conditions, list):
            result.errors[path] = f"{where}: conditions must be a list."
            conditions = []
        if path and not conditions:
            result.errors[path] = f"{where} is empty: add a condition or remove the group."
        out: list[dict[str, Any]] = []
        for index, child in enumerate(conditions):
            child_path = (*path, index)
            if is_group(child):
                if depth >= MAX_DEPTH:
                    result.errors[child_path] = (
                        f"Group {path_label(child_path)}: groups nest at most {MAX_DEPTH} levels."
                    )
                    continue
                out.append(group(child, child_path, depth + 1))
                continue
            result.conditions += 1
            try:
                out.append(_check_condition(child))
            except _Bad as bad:
                label = condition_label(child)
                result.errors[child_path] = f"Condition {path_label(child_path)} ({label}): {bad}."
        return {"match": match if match in MATCHES else "all", "conditions": out}

    result.definition = group(definition, (), 1)
    if result.conditions > MAX_CONDITIONS:
        result.errors[()] = (
            f"The segment has {result.conditions} conditions; at most {MAX_CONDITIONS} are allowed."
        )
    return result


def validate(definition: Any) -> dict[str, Any]:
    """The normalised definition, or a ValidationError listing each bad condition by position."""
    checked = check(definition)
    if checked.errors:
        raise ValidationError([checked.errors[path] for path in sorted(checked.errors)])
    return checked.definition


def empty_definition() -> dict[str, Any]:
    return {"match": "all", "conditions": []}


# --- References and wording --------------------------------------------------------------------

REFERENCE_KEYS = {
    "campaign_touched": "campaign",
    "campaign_recipient": "campaign",
    "email_clicked": "campaign",
    "open_deal": "stage",
    "form_submitted": "form",
}


def iter_conditions(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for child in definition.get("conditions", []):
        if is_group(child):
            found.extend(iter_conditions(child))
        else:
            found.append(child)
    return found


def references(definition: Mapping[str, Any]) -> dict[str, set[int]]:
    """Ids of campaigns, stages, forms and users a (valid) definition names."""
    refs: dict[str, set[int]] = {"campaign": set(), "stage": set(), "form": set(), "user": set()}
    for c in iter_conditions(definition):
        key = REFERENCE_KEYS.get(c["type"])
        if key and c.get(key) is not None:
            refs[key].add(c[key])
        if c["type"] == "field" and c["field"] == "owner" and "value" in c:
            values = c["value"] if isinstance(c["value"], list) else [c["value"]]
            refs["user"].update(values)
    return refs


Labels = Mapping[str, Mapping[int, str]]


def _name(labels: Labels, kind: str, pk: int | None) -> str:
    if pk is None:
        return "any"
    return f"“{labels.get(kind, {}).get(pk, f'#{pk} (deleted)')}”"


def describe_condition(c: Mapping[str, Any], labels: Labels) -> str:
    kind, negate = c["type"], c.get("negate", False)
    if kind in ("field", "company"):
        spec = (CONTACT_FIELDS if kind == "field" else COMPANY_FIELDS)[c["field"]]
        op, value = c["op"], c.get("value")
        words = OPS[op]
        if op in NO_VALUE_OPS:
            return f"{spec.label} {words}"
        if op in DAYS_OPS:
            return f"{spec.label} {words.replace('…', str(value))}"
        shown: Callable[[Any], str] = (
            (lambda pk: _name(labels, "user", pk)) if spec.kind == USER else (lambda v: f"“{v}”")
        )
        text = ", ".join(shown(v) for v in value) if isinstance(value, list) else shown(value)
        return f"{spec.label} {words} {text}"
    if kind == "tag":
        return f"{'Does not have' if negate else 'Has'} the tag “{c['tag']}”"
    if kind == "consent":
        return f"{'Has no' if negate else 'Has'} current consent for “{c['purpose']}”"
    if kind == "campaign_touched":
        verb = "Never touched" if negate else "Touched"
        return f"{verb} campaign {_name(labels, 'campaign', c['campaign'])}"
    if kind == "campaign_recipient":
        verb = "Was never sent" if negate else "Was sent"
        return f"{verb} an email of campaign {_name(labels, 'campaign', c['campaign'])}"
    if kind == "email_clicked":
        verb = "Never clicked" if negate else "Clicked"
        return f"{verb} an email of campaign {_name(labels, 'campaign', c['campaign'])}"
    if kind == "email_opened":
        if negate:
            return f"Has not opened any email in {c['days']} days"
        return f"Opened an email in the last {c['days']} days"
    if kind == "page_visits":
        times = "once" if c["min_count"] == 1 else f"{c['min_count']} times"
        verb = "Did not visit" if negate else "Visited"
        return (
            f"{verb} a page matching “{c['url_contains']}” at least {times} "
            f"in the last {c['days']} days"
        )
    if kind == "open_deal":
        stage = "" if c["stage"] is None else f" in stage {_name(labels, 'stage', c['stage'])}"
        return f"{'Has no' if negate else 'Has an'} open deal{stage}"
    if kind == "form_submitted":
        window = f" in the last {c['days']} days" if c.get("days") else ""
        verb = (
            "Never submitted"
            if negate and not window
            else ("Did not submit" if negate else "Submitted")
        )
        return f"{verb} the form {_name(labels, 'form', c['form'])}{window}"
    return kind


@dataclass(frozen=True)
class Line:
    """One line of a definition in words, indented by its depth."""

    depth: int
    text: str
    is_group: bool = False


def describe(definition: Mapping[str, Any], labels: Labels) -> list[Line]:
    lines: list[Line] = []

    def walk(group: Mapping[str, Any], depth: int) -> None:
        joiner = "all" if group.get("match", "all") == "all" else "any"
        lines.append(Line(depth, f"Match {joiner} of:", is_group=True))
        for child in group.get("conditions", []):
            if is_group(child):
                walk(child, depth + 1)
            else:
                lines.append(Line(depth + 1, describe_condition(child, labels)))

    if not definition.get("conditions"):
        return [Line(0, "Every contact (no conditions)")]
    walk(definition, 0)
    return lines
