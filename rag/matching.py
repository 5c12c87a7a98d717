"""How well a source sentence matches a question: lemmas, acronyms and the question's verb.

Shared by the date solver and the refusal check. Deliberately simple and explainable: a
question's content words, with its event verb counting double and "SCO" matching "Shanghai
Cooperation Organization".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.documents.chunker import sentence_spans
from rag.retrieval.text import STOPWORDS
from rag.types import Passage

_QUESTION_WORDS = frozenset(
    {"what", "which", "when", "date", "day", "exact", "did", "does", "do", "how", "many", "much"}
)
_IRREGULAR = {
    "met": "meet",
    "held": "hold",
    "said": "say",
    "spoke": "speak",
    "made": "make",
    "went": "go",
    "came": "come",
    "took": "take",
    "gave": "give",
    "began": "begin",
    "won": "win",
    "told": "tell",
    "flew": "fly",
    "left": "leave",
}
EVENT_VERBS = frozenset(
    [
        "meet",
        "hold",
        "visit",
        "land",
        "arriv",
        "address",
        "sign",
        "announc",
        "speak",
        "travel",
        "fly",
        "leave",
        "attend",
        "open",
        "host",
        "launch",
        "declar",
        "issu",
        "skip",
        "invit",
        "lend",
        "provid",
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+")
_CONNECTORS = frozenset({"of", "and", "the", "for", "&"})


def lemma(word: str) -> str:
    """Crude English lemma, enough to match "meeting"/"met"/"meet" and "landed"/"land"."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


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
            key = word if _is_acronym(word) else lemma(lower)
            weights[key] = 2.0 if key in EVENT_VERBS else 1.0
            if _is_acronym(word) or (i > 0 and word[:1].isupper()):
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


def sentence_matches(terms: QuestionTerms, passages: list[Passage]) -> list[SentenceMatch]:
    out = []
    for i, passage in enumerate(passages):
        text = passage.chunk.text
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
                    terms.proper <= found | _found_in(passage, terms.proper),
                )
            )
    return out


def score_sentence(sentence: str, terms: QuestionTerms) -> float:
    return sum(terms.weights[t] for t in _found_terms(sentence, terms))


def _found_terms(sentence: str, terms: QuestionTerms) -> set[str]:
    words = _WORD.findall(sentence)
    lemmas = {lemma(w.lower()) for w in words}
    acronyms = {w for w in words if _is_acronym(w)} | _initialisms(words)
    return {t for t in terms.weights if t in lemmas or t in acronyms}


def _found_in(passage: Passage, names: frozenset[str]) -> set[str]:
    """Names may sit elsewhere in the passage or its headline ("Putin" two sentences up)."""
    blob = f"{passage.chunk.title}\n{passage.chunk.text}"
    return _found_terms(blob, QuestionTerms({n: 1.0 for n in names}, names))


def _is_acronym(word: str) -> bool:
    return 2 <= len(word) <= 6 and word.isupper() and word.isalpha()


def _initialisms(words: list[str]) -> set[str]:
    """ "Shanghai Cooperation Organization" also answers to "SCO"."""
    found: set[str] = set()
    run: list[str] = []
    for word in [*words, "."]:
        if word[:1].isupper() and not _is_acronym(word):
            run.append(word[0])
            continue
        if word.lower() in _CONNECTORS and run:
            continue
        if len(run) >= 2:
            letters = "".join(run)
            found |= {
                letters[i:j] for i in range(len(letters)) for j in range(i + 2, len(letters) + 1)
            }
        run = []
    return found
