"""Sentiment of a short piece of feedback, from word lists (pure, no ORM, no model files).

How the score is computed:
- Each word found in POSITIVE counts +1, in NEGATIVE -1 (multi-word phrases such as
  "too expensive" are matched first and count once).
- An intensifier right before ("very good", "really slow") multiplies the next word by 1.5;
  a downtoner ("slightly slow", "a bit pricey") by 0.5.
- A negation ("not", "never", "no", "don't", "isn't", ...) within the three words before a
  sentiment word flips it and halves it: "not good" is mildly negative (-0.5), "not bad" mildly
  positive (+0.5). A negation applies to the next sentiment word only.
- "but" resets: what follows it weighs double ("good product but too expensive" leans negative).
- The sum is squashed into [-1, 1] by x / sqrt(x^2 + ALPHA) (as VADER does), so more evidence
  moves the score closer to the ends without ever passing them.
- The label is positive at score >= THRESHOLD, negative at <= -THRESHOLD, neutral otherwise
  (also when no sentiment word is found).

Deliberately small and readable: it is right on plain business feedback ("onboarding was
great", "support is slow", "too expensive for us") and makes no claim beyond that.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ALPHA = 4.0
THRESHOLD = 0.2
NEGATION_WINDOW = 3
BUT_WEIGHT = 2.0

POSITIVE = _words(
    """
    good great excellent amazing awesome love loved loves liked helpful easy
    easier simple intuitive fast quick quickly fantastic wonderful perfect happy pleased
    satisfied recommend recommended responsive reliable smooth clear powerful useful valuable
    worth impressive impressed friendly nice best better solid brilliant flexible affordable
    efficient enjoy enjoyed thanks thank appreciate appreciated saves saved improved
    seamless stable accurate convenient delighted glad outstanding superb painless
    """
)
NEGATIVE = _words(
    """
    bad poor terrible awful horrible hate hated dislike slow slower difficult hard confusing
    complicated expensive pricey overpriced costly buggy bug bugs broken crash crashes crashed
    error errors fail fails failed failure problem problems issue issues lacking lack lacks
    missing frustrating frustrated annoying annoyed disappointed disappointing unhappy worse
    worst useless clunky unclear unreliable unstable cumbersome painful tedious limited
    complaint complain complained cancel churn waste wasted outdated ugly messy inaccurate
    wrong unresponsive unusable delay delayed delays concern concerns worried risky
    """
)
PHRASES: dict[str, float] = {
    "too expensive": -1.5,
    "too slow": -1.5,
    "too complicated": -1.5,
    "too much": -1.0,
    "too high": -1.0,
    "no budget": -1.0,
    "not worth": -1.5,
    "doesn't work": -1.5,
    "does not work": -1.5,
    "hard to use": -1.5,
    "easy to use": 1.5,
    "works well": 1.5,
    "well done": 1.0,
    "value for money": 1.0,
}
INTENSIFIERS = _words(
    "very really extremely super so incredibly highly truly totally absolutely quite"
)
DOWNTONERS = _words("slightly somewhat bit little barely fairly")
NEGATIONS = _words(
    """
    not no never none nobody nothing neither nor cannot can't cant don't dont doesn't doesnt
    didn't didnt isn't isnt wasn't wasnt aren't arent won't wont wouldn't wouldnt shouldn't
    haven't hasn't without
    """
)

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class SentimentResult:
    score: float  # in [-1, 1]
    label: str  # "positive", "neutral" or "negative"


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _join_phrases(tokens: list[str]) -> list[str | float]:
    """Tokens with each known phrase replaced by its value."""
    out: list[str | float] = []
    i = 0
    while i < len(tokens):
        for length in (3, 2):
            phrase = " ".join(tokens[i : i + length])
            if len(tokens) - i >= length and phrase in PHRASES:
                out.append(PHRASES[phrase])
                i += length
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def raw_score(text: str) -> float:
    """The unbounded sum of the sentiment words' weights (see the module docstring)."""
    total = 0.0
    weight = 1.0
    negated_at: int | None = None
    modifier = 1.0
    for index, part in enumerate(_join_phrases(_tokens(text))):
        if isinstance(part, float):
            value = part
        elif part == "but":
            weight = BUT_WEIGHT
            negated_at, modifier = None, 1.0
            continue
        elif part in NEGATIONS:
            negated_at = index
            continue
        elif part in INTENSIFIERS:
            modifier = 1.5
            continue
        elif part in DOWNTONERS:
            modifier = 0.5
            continue
        elif part in POSITIVE:
            value = 1.0
        elif part in NEGATIVE:
            value = -1.0
        else:
            continue
        value *= modifier
        modifier = 1.0
        if negated_at is not None and index - negated_at <= NEGATION_WINDOW:
            value *= -0.5
        negated_at = None
        total += value * weight
    return total


def sentiment_of(text: str) -> SentimentResult:
    raw = raw_score(text)
    score = raw / math.sqrt(raw * raw + ALPHA)
    score = round(max(-1.0, min(1.0, score)), 4)
    if score >= THRESHOLD:
        label = "positive"
    elif score <= -THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    return SentimentResult(score=score, label=label)
