"""How well a source sentence matches a question: lemmas, acronyms and the question's verb.

Shared by the date solver and the refusal check. Deliberately simple and explainable: a
question's content words, with its event verb counting double and "SCO" matching "Shanghai
Cooperation Organization".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.documents.chunker import sentence_spans
from rag.retrieval.text import STOPWORDS, initialisms, is_acronym, lemma
from rag.types import Passage

_QUESTION_WORDS = frozenset(
    {"what", "which", "when", "date", "day", "exact", "did", "does", "do", "how", "many", "much"}
)
EVENT_VERBS = frozenset(
    (
        "meet hold visit land arriv address sign announc speak travel fly leave attend open "
        "host launch declar issu skip invit lend provid"
    ).split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+")


@dataclass(frozen=True)
class QuestionTerms:
    weights: dict[str, float]
    proper: frozenset[str]  # names and acronyms: a sentence lacking one cannot answer

    @classmethod
    def of(cls, question: str) -> QuestionTerms:
        weights: dict[str, float] = {}
        proper: set[str] = set()
        for i, word in enumerate(_WORD.findall(question)):
            lower = word.lower()
            if lower in STOPWORDS or lower in _QUESTION_WORDS:
                continue
            key = word if is_acronym(word) else lemma(lower)
            weights[key] = 2.0 if key in EVENT_VERBS else 1.0
            if is_acronym(word) or (i > 0 and word[:1].isupper()):
                proper.add(key)
        return cls(weights, frozenset(proper))

    @property
    def total(self) -> float:
        return sum(self.weights.values())


@dataclass(frozen=True)
class SentenceMatch:
    passage_index: int
    start: int  # offsets in the chunk text
    end: int
    text: str
    score: float
    coverage: float
    has_all_names: bool


def sentence_matches(
    terms: QuestionTerms,
    passages: list[Passage],
    article_text: Callable[[Passage], str] | None = None,
) -> list[SentenceMatch]:
    """Every sentence of every passage, scored. Names count as present when they occur
    anywhere in the passage's article (`article_text`), e.g. the forum named in paragraph one."""
    out = []
    for i, passage in enumerate(passages):
        text = passage.chunk.text
        context = article_text(passage) if article_text else text
        names_found = _found_in(f"{passage.chunk.title}\n{context}", terms.proper)
        for span in sentence_spans(text):
            sentence = text[span.start : span.end]
            found = _found_terms(sentence, terms)
            score = sum(terms.weights[t] for t in found)
            out.append(
                SentenceMatch(
                    i,
                    span.start,
                    span.end,
                    sentence,
                    score,
                    score / terms.total if terms.total else 0.0,
                    terms.proper <= found | names_found,
                )
            )
    return out


def score_sentence(sentence: str, terms: QuestionTerms) -> float:
    return sum(terms.weights[t] for t in _found_terms(sentence, terms))


def _found_terms(sentence: str, terms: QuestionTerms) -> set[str]:
    words = _WORD.findall(sentence)
    lemmas = {lemma(w.lower()) for w in words}
    acronyms = {w for w in words if is_acronym(w)} | initialisms(words)
    return {t for t in terms.weights if t in lemmas or t in acronyms}


def _found_in(text: str, names: frozenset[str]) -> set[str]:
    return _found_terms(text, QuestionTerms({n: 1.0 for n in names}, names))
