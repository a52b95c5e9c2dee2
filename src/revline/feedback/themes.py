"""Themes in feedback: group similar texts into topics and label each by its top terms (pure).

The method: TF-IDF over unigrams and bigrams (English stop words removed, terms in fewer than
`min_df` texts dropped, sublinear term frequency), then non-negative matrix factorisation
(NMF) into k topics, over the distinct texts; each text belongs to the topic with its largest
weight (a text with no known term belongs to none). When k is not given, every k in [k_min, k_max] is tried and the
smallest one whose grouping's silhouette (cosine distance on the TF-IDF vectors) comes within
PARSIMONY of the best wins. NMF starts from NNDSVDA with a fixed random_state, so the same
texts give the same topics every time.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics import silhouette_score

MIN_ITEMS = 12
K_MIN = 2
K_MAX = 8
MIN_DF = 2
TOP_TERMS = 8
RANDOM_STATE = 0
SILHOUETTE_SAMPLE = 3000
MATCH_MIN_OVERLAP = 0.3
# Silhouette tends to creep up as k grows and clusters shrink to near-duplicates; the smallest
# k within this fraction of the best score is chosen, so themes stay broad.
PARSIMONY = 0.85
# Words that carry no theme in sales and survey feedback.
EXTRA_STOP_WORDS = frozenset(
    {"just", "really", "bit", "lot", "like", "think", "need", "want", "use", "using", "used"}
    | {"does", "did", "got", "make", "way"}
)
WORD_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"  # words of two letters or more, no numbers


class TooFewItems(Exception):
    """The texts are too few, or share too few words, to find themes in."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FoundTopic:
    terms: list[str]  # the top terms, the strongest first
    members: list[int]  # indexes into the texts


@dataclass(frozen=True)
class ThemeResult:
    k: int
    labels: list[int]  # topic index of each text (topics sorted by size, largest first), -1: none
    weights: list[float]  # each text's weight in its topic
    topics: list[FoundTopic]
    scores: dict[int, float] = field(default_factory=dict)  # candidate k -> silhouette


def _vectorise(texts: Sequence[str], min_df: int) -> tuple[np.ndarray, list[str]]:
    vectorizer = TfidfVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS),
        ngram_range=(1, 2),
        min_df=min(min_df, len(texts)),
        sublinear_tf=True,
        token_pattern=WORD_PATTERN,
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError as exc:  # an empty vocabulary
        raise TooFewItems("The feedback shares too few words to find themes in.") from exc
    return matrix, list(vectorizer.get_feature_names_out())


def _factorise(matrix: object, k: int, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=500)
    with warnings.catch_warnings():
        # Not converging within max_iter still groups texts well; the run is not an error.
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    return weights, model.components_


def _labels(weights: np.ndarray) -> np.ndarray:
    labels = weights.argmax(axis=1)
    labels[weights.max(axis=1) <= 1e-9] = -1
    return labels


def _silhouette(matrix: object, labels: np.ndarray, random_state: int) -> float:
    mask = labels >= 0
    kept = labels[mask]
    if len(set(kept.tolist())) < 2 or len(kept) <= len(set(kept.tolist())):
        return -1.0
    sample = min(SILHOUETTE_SAMPLE, len(kept))
    return float(
        silhouette_score(
            matrix[mask],  # type: ignore[index]
            kept,
            metric="cosine",
            sample_size=sample,
            random_state=random_state,
        )
    )


def _result(
    weights: np.ndarray,
    components: np.ndarray,
    terms: list[str],
    top: int,
    scores: dict[int, float],
    index_of: list[int],
) -> ThemeResult:
    """Topics over every text, from the factorisation of the distinct ones (index_of maps a
    text to its distinct row)."""
    distinct_labels = _labels(weights)
    labels = distinct_labels[index_of]
    used = [t for t in range(components.shape[0]) if (labels == t).any()]
    # Largest first; equal sizes by component index, so the order is stable.
    used.sort(key=lambda t: (-int((labels == t).sum()), t))
    remap = {old: new for new, old in enumerate(used)}
    topics = []
    for old in used:
        order = np.argsort(-components[old], kind="stable")[:top]
        topic_terms = [terms[i] for i in order if components[old][i] > 0]
        members = np.flatnonzero(labels == old).tolist()
        topics.append(FoundTopic(terms=topic_terms, members=members))
    new_labels = [remap.get(int(label), -1) for label in labels]
    row_weights = [
        float(weights[row, label]) if label >= 0 else 0.0
        for row, label in zip(index_of, labels, strict=True)
    ]
    return ThemeResult(
        k=len(topics), labels=new_labels, weights=row_weights, topics=topics, scores=scores
    )


def _distinct(texts: Sequence[str]) -> tuple[list[str], list[int]]:
    """The distinct texts (case and spacing aside) and, for each text, its distinct row."""
    rows: dict[str, int] = {}
    distinct: list[str] = []
    index_of: list[int] = []
    for text in texts:
        key = " ".join(text.lower().split())
        if key not in rows:
            rows[key] = len(distinct)
            distinct.append(text)
        index_of.append(rows[key])
    return distinct, index_of


def extract(
    texts: Sequence[str],
    *,
    n_topics: int | None = None,
    k_min: int = K_MIN,
    k_max: int = K_MAX,
    min_df: int = MIN_DF,
    top_terms: int = TOP_TERMS,
    random_state: int = RANDOM_STATE,
    min_items: int = MIN_ITEMS,
) -> ThemeResult:
    """Topics of `texts`: n_topics of them, or the best k in [k_min, k_max] by silhouette.

    Identical texts count once in the grouping (a pick-list reason repeated a hundred times
    would otherwise make a topic of its own) and all get the same topic.
    Raises TooFewItems when there are fewer than `min_items` texts or too few shared words."""
    if len(texts) < min_items:
        raise TooFewItems(
            f"Themes need at least {min_items} feedback items; there are {len(texts)}."
        )
    distinct, index_of = _distinct(texts)
    if len(distinct) < 3:
        raise TooFewItems("The feedback holds too few different texts to find themes in.")
    matrix, terms = _vectorise(distinct, min_df)
    most = min(len(terms), matrix.shape[0] - 1)
    if n_topics is not None:
        candidates = [max(1, min(n_topics, most))]
    else:
        candidates = list(range(k_min, max(k_min, min(k_max, most)) + 1))
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    scores: dict[int, float] = {}
    for k in candidates:
        fits[k] = _factorise(matrix, k, random_state)
        scores[k] = round(_silhouette(matrix, _labels(fits[k][0]), random_state), 4)
    top = max(scores.values())
    chosen = min(k for k in candidates if scores[k] >= top - abs(top) * (1 - PARSIMONY))
    weights, components = fits[chosen]
    return _result(weights, components, terms, top_terms, scores, index_of)


def split_in_two(
    texts: Sequence[str], *, top_terms: int = TOP_TERMS, random_state: int = RANDOM_STATE
) -> ThemeResult:
    """The texts of one topic re-grouped into two (fewer than two groups: TooFewItems)."""
    result = extract(
        texts,
        n_topics=2,
        min_df=1,
        top_terms=top_terms,
        random_state=random_state,
        min_items=4,
    )
    if len(result.topics) < 2:
        raise TooFewItems("These items do not fall into two groups.")
    return result


def match_topics(
    old: Mapping[int, set[int]],
    new: Sequence[set[int]],
    *,
    min_overlap: float = MATCH_MIN_OVERLAP,
) -> dict[int, int]:
    """Pair new clusters with earlier topics by their members (item ids): {new index: old id}.

    Greedy on the Jaccard overlap, highest first; each side is used once; pairs overlapping
    less than `min_overlap` stay unpaired."""
    pairs = []
    for index, members in enumerate(new):
        for old_id, old_members in old.items():
            union = len(members | old_members)
            overlap = len(members & old_members) / union if union else 0.0
            if overlap >= min_overlap:
                pairs.append((-overlap, index, old_id))
    pairs.sort()
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for _, index, old_id in pairs:
        if index not in matched and old_id not in taken:
            matched[index] = old_id
            taken.add(old_id)
    return matched


def auto_name(terms: Sequence[str], *, count: int = 3) -> str:
    """A topic's name from its top terms: the first `count`, skipping words a bigram repeats."""
    chosen: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == count:
            break
    return " · ".join(chosen) if chosen else "Untitled topic"


def merged_terms(first: Sequence[str], second: Sequence[str], *, top: int = TOP_TERMS) -> list[str]:
    """Two topics' top terms interleaved, without repeats."""
    out: list[str] = []
    for pair in zip(first, second, strict=False):
        for term in pair:
            if term not in out:
                out.append(term)
    for term in [*first[len(second) :], *second[len(first) :]]:
        if term not in out:
            out.append(term)
    return out[:top]
