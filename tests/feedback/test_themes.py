"""Theme extraction (pure): a synthetic corpus with four known topics must be recovered."""

import random

import pytest
from sklearn.metrics import adjusted_rand_score

from revline.feedback.themes import (
    TooFewItems,
    auto_name,
    extract,
    match_topics,
    merged_terms,
    split_in_two,
)

VOCABULARIES = {
    "price": "price expensive cost discount budget invoice licence seats pricing fees costly cheaper",
    "support": "onboarding support training ticket helpdesk response setup guidance webinar "
    "documentation trainer agent",
    "reporting": "reporting dashboard charts export metrics analytics graphs filters kpis widgets "
    "pivot report",
    "integration": "integration api salesforce sap webhook sync connector zapier erp import slack "
    "plugin",
}
FILLER = ["team", "quarter", "customer", "product", "week", "month", "company", "staff"]


def corpus(n: int = 200, seed: int = 7) -> tuple[list[str], list[int]]:
    """n texts, each five words of one topic's vocabulary and two shared filler words."""
    rng = random.Random(seed)
    names = list(VOCABULARIES)
    texts, truth = [], []
    for i in range(n):
        topic = i % len(names)
        words = rng.sample(VOCABULARIES[names[topic]].split(), 5) + rng.sample(FILLER, 2)
        rng.shuffle(words)
        texts.append(" ".join(words))
        truth.append(topic)
    return texts, truth


def test_four_known_topics_are_recovered_with_the_number_picked_automatically():
    texts, truth = corpus()

    result = extract(texts)

    assert result.k == 4
    assert adjusted_rand_score(truth, result.labels) == 1.0
    assert sorted(len(t.members) for t in result.topics) == [50, 50, 50, 50]
    # Each found topic is labelled by the words of one true topic.
    for found in result.topics:
        owners = {name for name, words in VOCABULARIES.items() for term in found.terms
                  if term in words.split()}  # fmt: skip
        assert len(owners) == 1


def test_noisy_texts_still_map_each_true_topic_to_one_found_topic():
    rng = random.Random(3)
    texts, truth = corpus(160, seed=11)
    # One word in three replaced by a word of another topic.
    noisy = []
    for text, topic in zip(texts, truth, strict=True):
        words = text.split()
        other = list(VOCABULARIES.values())[(topic + 1) % 4].split()
        words[0] = rng.choice(other)
        noisy.append(" ".join(words))

    result = extract(noisy)

    assert adjusted_rand_score(truth, result.labels) >= 0.9


def test_the_same_texts_give_the_same_topics():
    texts, _ = corpus(120, seed=5)
    first, second = extract(texts), extract(texts)
    assert first.labels == second.labels
    assert [t.terms for t in first.topics] == [t.terms for t in second.topics]


def test_a_requested_number_of_topics_is_used():
    texts, _ = corpus()
    result = extract(texts, n_topics=2)
    assert result.k == 2
    assert list(result.scores) == [2]


def test_identical_texts_share_a_topic_and_count_once_in_the_grouping():
    texts, truth = corpus(80)
    repeated = texts + ["no budget left this year"] * 200

    result = extract(repeated)

    assert len({result.labels[i] for i in range(80, 280)}) == 1
    assert adjusted_rand_score(truth, result.labels[:80]) == 1.0


def test_too_few_items_are_refused_with_a_reason():
    with pytest.raises(TooFewItems) as refused:
        extract(["price is high"] * 5)
    assert refused.value.message == "Themes need at least 12 feedback items; there are 5."
    with pytest.raises(TooFewItems):
        extract(["the and of"] * 6 + ["is it was"] * 6)


def test_split_in_two_separates_two_mixed_topics():
    texts, truth = corpus(80)
    mixed = [t for t, topic in zip(texts, truth, strict=True) if topic in (0, 1)]
    halves = [topic for topic in truth if topic in (0, 1)]

    result = split_in_two(mixed)

    assert result.k == 2
    assert adjusted_rand_score(halves, result.labels) == 1.0


def test_split_refuses_a_handful():
    with pytest.raises(TooFewItems):
        split_in_two(["price", "cost", "price"])


def test_match_topics_pairs_by_overlap_greedily_and_once():
    old = {10: {1, 2, 3, 4}, 20: {5, 6, 7, 8}, 30: {9}}
    new = [{5, 6, 7}, {1, 2, 3, 4, 5}, {100, 101}]

    assert match_topics(old, new) == {0: 20, 1: 10}


def test_match_topics_leaves_small_overlaps_unpaired():
    assert match_topics({1: {1, 2, 3, 4}}, [{4, 5, 6, 7, 8}]) == {}


def test_auto_name_takes_three_terms_without_repeating_a_bigram_s_words():
    assert auto_name(["price", "price seat", "cost", "seat", "budget"]) == "price · cost · seat"
    assert auto_name([]) == "Untitled topic"


def test_merged_terms_interleave_without_repeats():
    assert merged_terms(["a", "b", "c"], ["x", "a"], top=4) == ["a", "x", "b", "c"]
