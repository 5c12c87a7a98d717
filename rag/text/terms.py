"""A question's weighted words, and how much of them a sentence holds: lemmas, acronyms and the
question's event verb.

Shared by sentence matching, the date solver and prompt excerpts. Deliberately simple and
explainable: a question's content words, with its event verb counting double and "SCO" matching
"Shanghai Cooperation Organization".
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.text.dates import CALENDAR_WORDS
from rag.text.names import attributed_spans
from rag.text.numbers import YEAR
from rag.text.words import (
    CASED_WORD,
    NAME_CONNECTORS,
    STOPWORDS,
    bare,
    initialisms,
    is_acronym,
    lemma,
)

_QUESTION_WORDS = frozenset(
    {"what", "which", "when", "date", "day", "exact", "did", "does", "do", "how", "many", "much"}
)
# As stems, the form `lemma` gives every inflection ("arrived", "arriving" → "arriv").
EVENT_VERBS = frozenset(
    lemma(verb)
    for verb in (
        "meet hold visit land arrive address sign announce speak travel fly leave attend open "
        "host launch declare issue skip invite lend provide"
    ).split()
)


@dataclass(frozen=True)
class QuestionTerms:
    weights: dict[str, float]
    proper: frozenset[str]  # names and acronyms: a sentence lacking one cannot answer

    @classmethod
    def of(cls, question: str) -> QuestionTerms:
        """Content words as lemmas, names among them. Not names a sentence must hold: a
        month, weekday or year (a passage says "on Thursday [16 May 2024]"), and who reported
        it ("according to DW": an outlet is seldom named in its own text). A compound of
        names ("Xi-Putin", "China-Russia") is its parts, as prose writes "Xi and Putin"."""
        weights: dict[str, float] = {}
        proper: set[str] = set()
        attribution = attributed_spans(question)
        for i, match in enumerate(CASED_WORD.finditer(question)):
            if any(start <= match.start() < end for start, end in attribution):
                continue
            for word in name_parts(match.group()):
                lower = bare(word)
                if lower in STOPWORDS or lower in _QUESTION_WORDS:
                    continue
                key = word if is_acronym(word) else lemma(lower)
                weights[key] = 2.0 if key in EVENT_VERBS else 1.0
                calendar = lower in CALENDAR_WORDS or YEAR.fullmatch(lower) is not None
                if not calendar and (is_acronym(word) or (i > 0 and word[:1].isupper())):
                    proper.add(key)
        return cls(weights, frozenset(proper))

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def only(self, keys: set[str]) -> QuestionTerms:
        """These terms alone, at their weights."""
        return QuestionTerms({k: self.weights[k] for k in keys}, self.proper & keys)


def score_sentence(
    sentence: str, terms: QuestionTerms, spelled: dict[str, frozenset[str]] | None = None
) -> float:
    return sum(terms.weights[t] for t in found_terms(sentence, terms, spelled))


def acronym_expansions(text: str) -> dict[str, frozenset[str]]:
    """Acronyms of `text` that it also spells out, with the lemmas of their words:
    "the Belt and Road Initiative (BRI) ... the BRI has been criticised" gives
    {"BRI": {"belt", "road", "initi"}}, so a later sentence's "BRI" holds those words."""
    words = CASED_WORD.findall(text)
    acronyms = {w for w in words if is_acronym(w)}
    if not acronyms:
        return {}
    out: dict[str, frozenset[str]] = {}
    run: list[str] = []  # a capitalised stretch, connectors inside it kept
    for word in [*words, "."]:
        if word[:1].isupper() and not is_acronym(word):
            run.append(word)
            continue
        if run and word.lower() in NAME_CONNECTORS:
            run.append(word)
            continue
        named = [w for w in run if w[:1].isupper()]
        for start in range(len(named)):
            for end in range(start + 2, min(len(named), start + 6) + 1):
                letters = "".join(w[0] for w in named[start:end])
                if letters in acronyms and letters not in out:
                    out[letters] = frozenset(lemma(bare(w)) for w in named[start:end])
        run = []
    return out


def found_terms(
    sentence: str, terms: QuestionTerms, spelled: dict[str, frozenset[str]] | None = None
) -> set[str]:
    """The question's terms that `sentence` holds (as lemmas, acronyms, or the spelled-out
    words of an acronym it uses)."""
    words = [part for w in CASED_WORD.findall(sentence) for part in {w, *name_parts(w)}]
    lemmas = {lemma(bare(w)) for w in words}
    acronyms = {w for w in words if is_acronym(w)} | initialisms(words)
    for acronym in acronyms & set(spelled or ()):
        lemmas |= (spelled or {})[acronym]
    return {t for t in terms.weights if t in lemmas or t in acronyms}


def name_parts(word: str) -> list[str]:
    """ "Xi-Putin" is two names; "re-elected" and "Export-Import" stay one word each... unless
    every part is capitalised, as names are."""
    parts = [p for p in word.split("-") if p]
    if len(parts) > 1 and all(p[:1].isupper() for p in parts):
        return parts
    return [word]


def names_found(text: str, names: frozenset[str]) -> set[str]:
    """Which of `names` (question terms) `text` holds."""
    return found_terms(text, QuestionTerms({n: 1.0 for n in names}, names))
