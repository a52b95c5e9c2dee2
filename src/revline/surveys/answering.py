"""Turning a posted survey form into typed answers, with an error per question. No ORM: it reads
the attributes of the version's questions only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .metrics import Answer, QuestionSpec, missing_required, rules_from_json, shown_questions

MAX_TEXT = 5000
KIND_RANGES = {"nps": (0, 10), "csat": (1, 5)}


class QuestionLike(Protocol):
    key: str
    kind: str
    label: str
    required: bool
    options: list[str]
    scale_max: int
    logic: list[dict[str, object]]


def field_name(question: QuestionLike) -> str:
    return f"q_{question.key}"


def number_range(question: QuestionLike) -> tuple[int, int]:
    if question.kind in KIND_RANGES:
        return KIND_RANGES[question.kind]
    return 1, max(2, int(question.scale_max))


def spec(question: QuestionLike) -> QuestionSpec:
    return QuestionSpec(
        key=question.key,
        kind=question.kind,
        required=question.required,
        rules=rules_from_json(question.logic),
    )


@dataclass
class Parsed:
    answers: dict[str, Answer]  # only the questions the respondent was shown
    errors: dict[str, str]  # question key -> message


def _one(question: QuestionLike, values: list[str]) -> tuple[Answer, str]:
    """(answer, error) for one question's posted values."""
    values = [v.strip() for v in values if v is not None and v.strip() != ""]
    if not values:
        return None, ""
    if question.kind in ("nps", "csat", "rating"):
        low, high = number_range(question)
        if len(values) > 1:
            return None, "Choose one number."
        try:
            number = int(values[0])
        except ValueError:
            return None, f"Choose a number from {low} to {high}."
        if not low <= number <= high:
            return None, f"Choose a number from {low} to {high}."
        return number, ""
    if question.kind == "single":
        if len(values) > 1 or values[0] not in question.options:
            return None, "Choose one of the options."
        return values[0], ""
    if question.kind == "multiple":
        chosen = list(dict.fromkeys(values))
        if any(v not in question.options for v in chosen):
            return None, "Choose from the options shown."
        return [o for o in question.options if o in chosen], ""
    text = "\n".join(values)
    if len(text) > MAX_TEXT:
        return None, f"Please keep this under {MAX_TEXT:,} characters."
    return text, ""


def answers_parse(
    questions: Sequence[QuestionLike], get_list: Callable[[str], list[str]]
) -> Parsed:
    """Typed answers for the questions shown (skip logic applied), and every error: a bad value,
    or a required question that was shown but not answered."""
    answers: dict[str, Answer] = {}
    errors: dict[str, str] = {}
    for question in questions:
        answer, error = _one(question, get_list(field_name(question)))
        if error:
            errors[question.key] = error
        elif answer is not None:
            answers[question.key] = answer
    specs = [spec(q) for q in questions]
    shown = set(shown_questions(specs, answers))
    errors = {k: v for k, v in errors.items() if k in shown}
    for key in missing_required(specs, answers):
        errors.setdefault(key, "Please answer this question.")
    return Parsed(answers={k: v for k, v in answers.items() if k in shown}, errors=errors)
