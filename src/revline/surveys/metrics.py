"""Survey arithmetic and skip logic. Pure: no ORM, so it is tested and reused alone.

NPS: answers 0-10; promoters 9-10, passives 7-8, detractors 0-6; score = % promoters - %
detractors, from -100 to 100. CSAT: answers 1-5; satisfied = 4 or 5; CSAT % = satisfied / all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NPS_MIN, NPS_MAX = 0, 10
CSAT_MIN, CSAT_MAX = 1, 5
PROMOTER_MIN = 9
PASSIVE_MIN = 7
SATISFIED_MIN = 4
END = "end"  # a logic target: finish the survey


@dataclass(frozen=True)
class Nps:
    responses: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        """% promoters - % detractors, or None with no answers."""
        if not self.responses:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.responses

    def share(self, part: int) -> float | None:
        return 100.0 * part / self.responses if self.responses else None

    @property
    def promoter_pct(self) -> float | None:
        return self.share(self.promoters)

    @property
    def passive_pct(self) -> float | None:
        return self.share(self.passives)

    @property
    def detractor_pct(self) -> float | None:
        return self.share(self.detractors)


def nps_group(value: int) -> str:
    """ "promoter", "passive" or "detractor" for one 0-10 answer."""
    if not NPS_MIN <= value <= NPS_MAX:
        raise ValueError(f"An NPS answer is between {NPS_MIN} and {NPS_MAX}, not {value}.")
    if value >= PROMOTER_MIN:
        return "promoter"
    if value >= PASSIVE_MIN:
        return "passive"
    return "detractor"


def nps_from_counts(*, promoters: int, passives: int, detractors: int) -> Nps:
    return Nps(
        responses=promoters + passives + detractors,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
    )


def nps(values: Iterable[int]) -> Nps:
    groups = Counter(nps_group(v) for v in values)
    return nps_from_counts(
        promoters=groups["promoter"], passives=groups["passive"], detractors=groups["detractor"]
    )


@dataclass(frozen=True)
class Csat:
    responses: int
    satisfied: int
    total: int  # the sum of the answers, for the mean

    @property
    def score(self) -> float | None:
        """% of answers that are 4 or 5."""
        return 100.0 * self.satisfied / self.responses if self.responses else None

    @property
    def mean(self) -> float | None:
        return self.total / self.responses if self.responses else None


def csat(values: Iterable[int]) -> Csat:
    responses = satisfied = total = 0
    for value in values:
        if not CSAT_MIN <= value <= CSAT_MAX:
            raise ValueError(f"A CSAT answer is between {CSAT_MIN} and {CSAT_MAX}, not {value}.")
        responses += 1
        total += value
        satisfied += value >= SATISFIED_MIN
    return Csat(responses=responses, satisfied=satisfied, total=total)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    pct: float  # of all answers to the question (for multiple choice: of all responses)


def distribution(counts: Mapping[str, int], *, order: Sequence[str], base: int) -> list[Bar]:
    """One bar per label of `order` (zero when nobody chose it), then any label not in `order`
    (an option removed in a later version), each with its share of `base`."""
    labels = list(order) + sorted(k for k in counts if k not in set(order))
    return [
        Bar(label=label, count=counts.get(label, 0),
            pct=100.0 * counts.get(label, 0) / base if base else 0.0)
        for label in labels
    ]  # fmt: skip


# --- Skip logic ---------------------------------------------------------------------------------

OPS = ("eq", "lte", "gte", "includes")
Answer = int | str | list[str] | None


@dataclass(frozen=True)
class Rule:
    """If the answer matches (`op` with `value`), go to the question `goto` (a key) or END."""

    op: str
    value: int | str
    goto: str


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    required: bool = False
    rules: tuple[Rule, ...] = field(default_factory=tuple)


def rule_matches(rule: Rule, answer: Answer) -> bool:
    if answer is None or answer == "" or answer == []:
        return False
    if rule.op == "includes":
        chosen = answer if isinstance(answer, list) else [answer]
        return str(rule.value) in [str(c) for c in chosen]
    if isinstance(answer, list):
        return False
    if rule.op == "eq":
        return str(answer) == str(rule.value)
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False
    try:
        limit = int(rule.value)
    except (TypeError, ValueError):
        return False
    return answer <= limit if rule.op == "lte" else answer >= limit if rule.op == "gte" else False


def shown_questions(questions: Sequence[QuestionSpec], answers: Mapping[str, Answer]) -> list[str]:
    """The keys of the questions a respondent sees, in order, given their answers.

    Walks from the first question; after each, the first matching rule jumps forward to its
    target (or ends). A rule pointing backwards or at an unknown key is ignored, so the walk
    always ends."""
    index = {q.key: i for i, q in enumerate(questions)}
    shown: list[str] = []
    i = 0
    while i < len(questions):
        question = questions[i]
        shown.append(question.key)
        target = next(
            (r.goto for r in question.rules if rule_matches(r, answers.get(question.key))), None
        )
        if target == END:
            break
        if target is not None and index.get(target, -1) > i:
            i = index[target]
        else:
            i += 1
    return shown


def missing_required(questions: Sequence[QuestionSpec], answers: Mapping[str, Answer]) -> list[str]:
    """Keys of required questions that are shown but not answered."""
    shown = set(shown_questions(questions, answers))
    return [
        q.key
        for q in questions
        if q.required and q.key in shown and answers.get(q.key) in (None, "", [])
    ]


def rules_from_json(raw: Any) -> tuple[Rule, ...]:
    """Rules stored as [{"op", "value", "goto"}]; malformed entries are dropped."""
    rules: list[Rule] = []
    if not isinstance(raw, list):
        return ()
    for item in raw:
        if not isinstance(item, dict) or item.get("op") not in OPS:
            continue
        value, goto = item.get("value"), item.get("goto")
        if not isinstance(value, int | str) or not isinstance(goto, str) or not goto:
            continue
        rules.append(Rule(op=item["op"], value=value, goto=goto))
    return tuple(rules)
