"""The lexicon sentiment scorer: plain examples of each rule."""

import pytest

from revline.feedback.sentiment import raw_score, sentiment_of


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("The onboarding was great", "positive"),
        ("Support is slow", "negative"),
        ("We need the SAP integration.", "neutral"),
        ("", "neutral"),
        ("I love it, really easy to use", "positive"),
        ("Hard to use and buggy", "negative"),
        ("Good product but too expensive", "negative"),
        ("not good", "negative"),
        ("not bad", "positive"),
        ("The price is too high for the seat count", "negative"),
    ],
)
def test_labels_of_plain_feedback(text, label):
    assert sentiment_of(text).label == label


def test_a_sentiment_word_counts_one():
    assert raw_score("great") == 1.0
    assert raw_score("slow") == -1.0


def test_negation_flips_and_halves_the_next_sentiment_word_only():
    assert raw_score("not good") == -0.5
    assert raw_score("never slow") == 0.5
    # The negation is spent on "good"; "helpful" counts in full.
    assert raw_score("not good, helpful") == 0.5


def test_negation_reaches_three_words_ahead_and_no_further():
    assert raw_score("not at all good") == -0.5
    assert raw_score("not very good") == -0.75
    assert raw_score("not that we ever found it good") == 1.0


def test_intensifiers_and_downtoners_scale_the_next_word():
    assert raw_score("very good") == 1.5
    assert raw_score("slightly slow") == -0.5


def test_phrases_count_once_and_before_their_words():
    assert raw_score("too expensive") == -1.5
    assert raw_score("easy to use") == 1.5
    assert raw_score("not easy to use") == -0.75


def test_what_follows_but_weighs_double():
    assert raw_score("good but slow") == -1.0
    assert raw_score("slow but great support") == 1.0


def test_apostrophes_of_either_kind_are_read():
    assert raw_score("it doesn't work") == -1.5
    assert raw_score("it doesn\u2019t work") == -1.5


def test_the_score_stays_in_bounds_and_grows_with_evidence():
    one = sentiment_of("great").score
    many = sentiment_of("great excellent amazing fantastic wonderful perfect").score
    assert 0 < one < many <= 1
    assert sentiment_of(" ".join(["terrible"] * 50)).score >= -1
    assert one == 0.4472  # 1 / sqrt(1 + 4)
