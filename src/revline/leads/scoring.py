"""Rule-based lead scoring, the pure part: rule checks, matching, decay and explanations.

No ORM here: the services (scoring_services.py) read rules and contacts, call these, and store.
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from .models import FitField, FitOperator

POINTS_MIN = -100
POINTS_MAX = 100
PATTERN_MAX_LENGTH = 300
PERIOD_DAYS_MAX = 365
HALF_LIFE_DAYS_MAX = 3650
OPERATORS_WITHOUT_VALUE = {FitOperator.IS_SET, FitOperator.IS_EMPTY}
# A quantified group that itself contains a quantifier, e.g. (a+)+ or (\w*)*: the classic shape
# of a pattern whose matching time explodes on a long URL. Refused, because `re` cannot time out.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,)")


def pattern_error(pattern: str) -> str | None:
    """Why the regular expression cannot be used, or None when it can."""
    if len(pattern) > PATTERN_MAX_LENGTH:
        return f"The pattern is longer than {PATTERN_MAX_LENGTH} characters."
    if _NESTED_QUANTIFIER.search(pattern):
        return "Nested repetition such as (a+)+ can make matching hang; simplify the pattern."
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"Not a valid regular expression: {exc}."
    return None


def points_error(points: int | None) -> str | None:
    if points is None:
        return "Give the points."
    if not POINTS_MIN <= points <= POINTS_MAX:
        return f"Points must be between {POINTS_MIN} and {POINTS_MAX}."
    if points == 0:
        return "A rule worth 0 points changes nothing; give it points."
    return None


def fit_rule_errors(*, field: str, operator: str, value: str, points: int | None) -> dict[str, str]:
    """Field name → message for every problem of a fit rule; empty when it can be saved."""
    errors: dict[str, str] = {}
    if field not in FitField.values:
        errors["field"] = "Choose a field."
    if operator not in FitOperator.values:
        errors["operator"] = "Choose an operator."
    value = value.strip()
    if operator in OPERATORS_WITHOUT_VALUE:
        if value:
            errors["value"] = "This operator takes no value; leave it empty."
    elif operator in FitOperator.values:
        if not value:
            errors["value"] = "Give the value to compare with."
        elif operator == FitOperator.MATCHES:
            if message := pattern_error(value):
                errors["value"] = message
        elif operator == FitOperator.IN_LIST and not split_list(value):
            errors["value"] = "Give at least one value, separated by commas."
        elif len(value) > 500:
            errors["value"] = "The value is longer than 500 characters."
    if message := points_error(points):
        errors["points"] = message
    return errors


def engagement_rule_errors(
    *,
    name: str,
    touchpoint_kind: str,
    kinds: Sequence[str],
    url_pattern: str,
    points: int | None,
    max_per_period: int | None,
    period_days: int | None,
) -> dict[str, str]:
    """Field name → message for every problem of an engagement rule; empty when it can be saved."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the rule a name."
    elif len(name.strip()) > 200:
        errors["name"] = "The name is longer than 200 characters."
    if touchpoint_kind not in kinds:
        errors["touchpoint_kind"] = "Choose a kind of touch."
    if url_pattern and (message := pattern_error(url_pattern)):
        errors["url_pattern"] = message
    if message := points_error(points):
        errors["points"] = message
    if max_per_period is not None and max_per_period < 1:
        errors["max_per_period"] = "At least 1, or leave it empty for no limit."
    if period_days is None or not 1 <= period_days <= PERIOD_DAYS_MAX:
        errors["period_days"] = f"The period is 1 to {PERIOD_DAYS_MAX} days."
    return errors


def half_life_error(days: int | None) -> str | None:
    if days is not None and not 1 <= days <= HALF_LIFE_DAYS_MAX:
        return f"The half-life is 1 to {HALF_LIFE_DAYS_MAX} days, or empty for no decay."
    return None


def split_list(value: str) -> list[str]:
    return [item.strip().casefold() for item in value.split(",") if item.strip()]


# --- Fit --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitRuleSpec:
    id: int
    field: str
    operator: str
    value: str
    points: int
    pattern: "re.Pattern[str] | None" = None

    @classmethod
    def build(cls, *, id: int, field: str, operator: str, value: str, points: int) -> "FitRuleSpec":
        """A spec ready to match; a pattern that does not compile is kept as None (never matches)."""
        pattern = None
        if operator == FitOperator.MATCHES:
            try:
                pattern = re.compile(value, re.IGNORECASE)
            except re.error:
                pattern = None
        return cls(
            id=id, field=field, operator=operator, value=value, points=points, pattern=pattern
        )


def fit_values(
    *,
    title: str,
    country: str,
    source: str,
    email: str,
    company_industry: str = "",
    company_size: str = "",
    company_country: str = "",
) -> dict[str, str]:
    """The values fit rules compare with, keyed by FitField."""
    return {
        FitField.CONTACT_TITLE: title,
        FitField.CONTACT_COUNTRY: country,
        FitField.CONTACT_SOURCE: source,
        FitField.CONTACT_EMAIL_DOMAIN: email.rpartition("@")[2] if "@" in email else "",
        FitField.COMPANY_INDUSTRY: company_industry,
        FitField.COMPANY_SIZE: company_size,
        FitField.COMPANY_COUNTRY: company_country,
    }


def fit_rule_matches(rule: FitRuleSpec, values: Mapping[str, str]) -> bool:
    """Whether the rule holds for the values; comparisons ignore case and surrounding spaces.
    Raises ValueError for a rule that cannot be evaluated (the caller skips it)."""
    actual = (values.get(rule.field) or "").strip()
    expected = rule.value.strip()
    match rule.operator:
        case FitOperator.IS_SET:
            return bool(actual)
        case FitOperator.IS_EMPTY:
            return not actual
        case FitOperator.EQUALS:
            return bool(actual) and actual.casefold() == expected.casefold()
        case FitOperator.CONTAINS:
            return bool(actual) and bool(expected) and expected.casefold() in actual.casefold()
        case FitOperator.IN_LIST:
            return bool(actual) and actual.casefold() in split_list(expected)
        case FitOperator.MATCHES:
            if rule.pattern is None:
                raise ValueError(f"Fit rule {rule.id} has an invalid pattern")
            return bool(actual) and rule.pattern.search(actual) is not None
    raise ValueError(f"Fit rule {rule.id} has an unknown operator {rule.operator!r}")


def fit_rule_label(*, field: str, operator: str, value: str) -> str:
    """'Job title contains 'VP'' — how a rule reads in explanations."""
    field_label = FitField(field).label.partition(": ")[2] if field in FitField.values else field
    field_label = field_label[:1].upper() + field_label[1:]
    operator_label = FitOperator(operator).label if operator in FitOperator.values else operator
    operator_label = operator_label.replace(" (comma-separated)", "")
    if operator in OPERATORS_WITHOUT_VALUE:
        return f"{field_label} {operator_label}"
    return f"{field_label} {operator_label} '{value.strip()}'"


def signed(points: int | float) -> str:
    return f"{points:+d}" if isinstance(points, int) else f"{points:+g}"


# --- Engagement -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngagementRuleSpec:
    id: int
    name: str
    kind: str
    url_pattern: str
    campaign_id: int | None
    points: int
    max_per_period: int | None
    period_days: int
    pattern: "re.Pattern[str] | None" = field(default=None, compare=False)

    @classmethod
    def build(
        cls,
        *,
        id: int,
        name: str,
        kind: str,
        url_pattern: str,
        campaign_id: int | None,
        points: int,
        max_per_period: int | None,
        period_days: int,
    ) -> "EngagementRuleSpec":
        pattern = None
        if url_pattern:
            try:
                pattern = re.compile(url_pattern, re.IGNORECASE)
            except re.error:
                pattern = None
        return cls(
            id=id,
            name=name,
            kind=kind,
            url_pattern=url_pattern,
            campaign_id=campaign_id,
            points=points,
            max_per_period=max_per_period,
            period_days=max(period_days, 1),
            pattern=pattern,
        )


def engagement_rule_matches(
    rule: EngagementRuleSpec, *, kind: str, url: str, campaign_id: int | None
) -> bool:
    """Whether the touch counts for the rule. Raises ValueError when the rule cannot be evaluated."""
    if rule.kind != kind:
        return False
    if rule.campaign_id is not None and rule.campaign_id != campaign_id:
        return False
    if rule.url_pattern:
        if rule.pattern is None:
            raise ValueError(f"Engagement rule {rule.id} has an invalid URL pattern")
        return rule.pattern.search(url or "") is not None
    return True


def within_limit(*, hits_in_period: int, max_per_period: int | None) -> bool:
    """Whether one more hit is allowed when `hits_in_period` already counted in the period."""
    return max_per_period is None or hits_in_period < max_per_period


def decayed(
    points: float, since: datetime | None, now: datetime, half_life_days: int | None
) -> float:
    """`points` earned at `since`, as worth at `now`: halved every `half_life_days` (no decay when
    the half-life is empty). Never grows: a `now` before `since` returns the points unchanged."""
    if not half_life_days or since is None or now <= since:
        return float(points)
    days = (now - since).total_seconds() / 86400
    return points * 0.5 ** (days / half_life_days)


def engagement_add(
    *,
    points: float,
    at: datetime | None,
    added: float,
    added_at: datetime,
    half_life_days: int | None,
) -> tuple[float, datetime]:
    """Add `added` points earned at `added_at` to `points` held as of `at`; returns the new
    (points, as-of time). A touch older than `at` (a late batch, or touches attached when a visitor
    is identified) is decayed to `at` before it is added, so the order of arrival does not matter."""
    if at is None or added_at >= at:
        return decayed(points, at, added_at, half_life_days) + added, added_at
    return points + decayed(added, added_at, at, half_life_days), at


def score_round(value: float) -> int:
    """Half away from zero: 2.5 -> 3, -2.5 -> -3 (Python's round() would give 2 and -2)."""
    return math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)


def touch_action(*, kind: str, url: str, params: Mapping[str, object]) -> str:
    """What the person did, as the explanation says it: 'visited /pricing'."""
    path = _short_path(url)
    label = str(params.get("label") or params.get("title") or "")[:80]
    email = str(params.get("email") or "")[:80]
    match kind:
        case "page_view":
            return f"visited {path}" if path else "viewed a page"
        case "click":
            return "clicked a campaign link"
        case "cta_click":
            return f"clicked '{label}'" if label else "clicked a call to action"
        case "form_submission":
            return f"submitted a form on {path}" if path else "submitted a form"
        case "email_open":
            return f"opened the email '{email}'" if email else "opened an email"
        case "email_click":
            return (
                f"clicked a link in the email '{email}'" if email else "clicked a link in an email"
            )
        case "meeting_booked":
            return "booked a meeting"
        case "event_attendance":
            return "attended an event"
        case "pr_visit":
            return f"came from press coverage to {path}" if path else "came from press coverage"
        case "order":
            return "placed an order"
    return kind.replace("_", " ")


def engagement_reason(*, points: int, kind: str, url: str, params: Mapping[str, object]) -> str:
    return f"{signed(points)} {touch_action(kind=kind, url=url, params=params)}"[:300]


def _short_path(url: str) -> str:
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:100]
    path = parts.path or "/"
    return path[:100] if parts.netloc or url.startswith("/") else url[:100]


# --- Presentation -----------------------------------------------------------------------------


def sparkline_points(values: Sequence[float], *, width: int = 240, height: int = 48) -> str:
    """SVG polyline points for the values, oldest first, scaled to the box."""
    if not values:
        return ""
    low, high = min(min(values), 0.0), max(max(values), 1.0)
    span = high - low or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - (value - low) / span * height:.1f}"
        for i, value in enumerate(values)
    )
