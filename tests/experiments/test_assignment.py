"""Deterministic assignment: stable per key, split by the weights, weight 0 never chosen."""

import math
from collections import Counter

import pytest

from revline.experiments.assignment import Arm, assign, contact_key, unit_hash, visitor_key

KEYS = [visitor_key(f"00000000-0000-4000-8000-{n:012d}") for n in range(20_000)]


def _within_binomial(count: int, n: int, p: float) -> bool:
    """|count - n p| within 4 standard deviations of Binomial(n, p)."""
    return abs(count - n * p) <= 4 * math.sqrt(n * p * (1 - p))


def test_unit_hash_is_sha256_of_salt_and_key_read_as_a_fraction():
    # Given the digest of "s1:c:7" computed independently
    import hashlib

    digest = hashlib.sha256(b"s1:c:7").digest()
    expected = int.from_bytes(digest[:8], "big") / 2**64

    # Then the hash is exactly that number, in [0, 1)
    assert unit_hash("s1", contact_key(7)) == expected
    assert 0 <= expected < 1


def test_the_same_key_always_gets_the_same_variant():
    arms = [Arm("a", 1), Arm("b", 1), Arm("c", 2)]

    first = [assign(salt="salt", subject_key=key, arms=arms) for key in KEYS[:500]]
    again = [assign(salt="salt", subject_key=key, arms=arms) for key in KEYS[:500]]

    assert first == again


def test_another_salt_reshuffles_the_keys():
    arms = [Arm("a", 1), Arm("b", 1)]

    one = [assign(salt="one", subject_key=key, arms=arms) for key in KEYS[:1000]]
    two = [assign(salt="two", subject_key=key, arms=arms) for key in KEYS[:1000]]

    # About half of the keys change sides: the experiments are independent.
    changed = sum(1 for x, y in zip(one, two, strict=True) if x != y)
    assert _within_binomial(changed, 1000, 0.5)


@pytest.mark.parametrize("weights", [(1, 1), (3, 1), (1, 1, 1), (50, 30, 20), (1, 2, 3, 4, 5)])
def test_shares_match_the_weights_within_binomial_tolerance(weights):
    arms = [Arm(f"v{i}", w) for i, w in enumerate(weights)]

    counts = Counter(assign(salt="split", subject_key=key, arms=arms) for key in KEYS)

    total = sum(weights)
    for arm in arms:
        assert _within_binomial(counts[arm.key], len(KEYS), arm.weight / total), (arm, counts)


def test_a_variant_of_weight_zero_is_never_chosen():
    # Given three variants, the middle one set to weight 0
    with_b = [Arm("a", 1), Arm("b", 1), Arm("c", 1)]
    without_b = [Arm("a", 1), Arm("b", 0), Arm("c", 1)]

    before = Counter(assign(salt="w", subject_key=key, arms=with_b) for key in KEYS[:5000])
    after = Counter(assign(salt="w", subject_key=key, arms=without_b) for key in KEYS[:5000])

    # Then nobody is assigned to it, and the others share its traffic half and half
    assert before["b"] > 0
    assert after["b"] == 0
    assert after["a"] + after["c"] == 5000
    assert _within_binomial(after["a"], 5000, 0.5)


def test_no_positive_weight_is_an_error():
    with pytest.raises(ValueError, match="positive weight"):
        assign(salt="x", subject_key="v:1", arms=[Arm("a", 0), Arm("b", 0)])


def test_subject_keys_name_visitors_and_contacts():
    assert visitor_key("5f0e") == "v:5f0e"
    assert contact_key(42) == "c:42"
