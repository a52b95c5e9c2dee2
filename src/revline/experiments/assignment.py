"""Who sees which variant: a pure, deterministic function of the experiment's salt and a key.

The SHA-256 digest of "<salt>:<subject key>" is read as a number in [0, 1) (its first 8 bytes
over 2^64), and the variant whose slice of the cumulative weights holds that number is chosen.
Nothing is stored to remember the choice: the same salt and key always give the same variant,
on any machine. Each experiment has its own salt, so a person's variants in two experiments are
independent. A variant of weight 0 has an empty slice and is never chosen.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

_SCALE = float(2**64)


@dataclass(frozen=True)
class Arm:
    """A variant as the assignment sees it: its key and its weight."""

    key: str
    weight: int


def unit_hash(salt: str, subject_key: str) -> float:
    """sha256(f"{salt}:{subject_key}") mapped uniformly to [0, 1)."""
    digest = hashlib.sha256(f"{salt}:{subject_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def assign(*, salt: str, subject_key: str, arms: Sequence[Arm]) -> str:
    """The key of the arm `subject_key` belongs to, picked by cumulative weights in arm order.

    Raises ValueError when no arm has a positive weight (there is nothing to assign to).
    """
    total = sum(max(arm.weight, 0) for arm in arms)
    if total <= 0:
        raise ValueError("At least one variant needs a positive weight.")
    point = unit_hash(salt, subject_key) * total
    cumulative = 0
    chosen = None
    for arm in arms:
        if arm.weight <= 0:
            continue
        cumulative += arm.weight
        chosen = arm.key
        if point < cumulative:
            return arm.key
    assert chosen is not None  # only reached through float rounding at the very top
    return chosen


def visitor_key(visitor_id: object) -> str:
    return f"v:{visitor_id}"


def contact_key(contact_id: int) -> str:
    return f"c:{contact_id}"
