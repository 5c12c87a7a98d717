"""The one tokenizer: Snowball stems plus the irregular-verb table."""

from __future__ import annotations

import pytest

from rag.text.words import lemma, tokens


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("meetings", "meeting"),
        ("meeting", "meet"),
        ("economies", "economy"),
        ("visited", "visits"),
        ("landed", "land"),
        ("announced", "announcement"),
    ],
)
def test_inflections_share_a_stem(a: str, b: str) -> None:
    assert lemma(a) == lemma(b)


@pytest.mark.parametrize(("a", "b"), [("news", "new"), ("states", "statements")])
def test_different_words_keep_different_stems(a: str, b: str) -> None:
    assert lemma(a) != lemma(b)


@pytest.mark.parametrize(
    ("past", "verb"),
    [("met", "meet"), ("held", "hold"), ("said", "say"), ("spoke", "speak"), ("left", "leave")],
)
def test_irregular_past_tenses_stem_like_their_verb(past: str, verb: str) -> None:
    assert lemma(past) == lemma(verb)


def test_tokens_drop_stopwords_possessives_and_accents_and_keep_figures() -> None:
    assert tokens("Erdoğan’s meetings with the news agencies cost $1,000 or 1.5%") == [
        "erdogan",
        "meet",
        "news",
        "agenc",
        "cost",
        "1,000",
        "1.5",
    ]
