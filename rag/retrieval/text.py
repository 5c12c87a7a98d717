"""Word tokens for lexical matching, shared by BM25 and citation checks."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "after",
        "also",
        "can",
        "could",
        "said",
        "says",
        "say",
        "according",
        "more",
        "most",
        "other",
        "over",
        "such",
        "than",
        "very",
    ]
)


def _stem(word: str) -> str:
    # Light plural folding: "meetings"→"meeting", "banks"→"bank"; good enough for BM25 recall.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased content words, stopwords removed, lightly stemmed."""
    words = _WORD.findall(text.lower().replace("’", "'").replace("'s", ""))
    return [_stem(w) for w in words if w not in STOPWORDS]
