"""How well a source sentence matches a question: lemmas, acronyms and the question's verb.

Shared by the date solver and the refusal check. Deliberately simple and explainable: a
question's content words, with its event verb counting double and "SCO" matching "Shanghai
Cooperation Organization".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from rag.documents.dates import MONTHS, WEEKDAYS
from rag.retrieval.text import STOPWORDS, initialisms, is_acronym, lemma
from rag.text.sentences import sentence_spans
from rag.types import Passage

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
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
# Capitalised for the calendar, not because they name something an article must mention: a
# question about "Wednesday" may be answered by a passage that says "3 July 2024".
_CALENDAR = frozenset(w.lower() for w in (*MONTHS, *WEEKDAYS))
_ATTRIBUTED_BY = re.compile(r"\b(?:according to|reported by|by|per)\s+(?:the\s+)?$", re.I)
_ATTRIBUTION_OF = re.compile(
    r"(?:'s)?\s+(?:article|report|reporting|story|piece|interview|reporter|correspondent)", re.I
)
# Small words inside a spelled-out name: "Belt and Road Initiative", "Council of Europe".
_CONNECTORS = frozenset({"of", "and", "the", "for", "&"})
_YEAR = re.compile(r"1[89]\d\d|20\d\d")
_SENTENCE_START = re.compile(r"(?:^|[.?!:;\"“(]\s*)$")
# Words that go with a name without being it: "President Trump" is known when "Trump" is.
_TITLES = frozenset(
    (
        "mr mrs ms miss dr sir dame lord lady president vice prime minister chancellor premier "
        "king queen prince princess pope general gen senator sen governor gov secretary "
        "ambassador judge justice mayor chairman chairwoman chair ceo sheikh emir ayatollah"
    ).split()
)
# Words that qualify a place name: "North Korea" is known only when "Korea" is.
_QUALIFIERS = frozenset(
    "north south east west northern southern eastern western new upper lower greater".split()
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
        attribution = [
            (start, end)
            for start, end in _name_spans(question)
            if _ATTRIBUTED_BY.search(question, 0, start)
        ]
        for i, match in enumerate(_WORD.finditer(question)):
            if any(start <= match.start() < end for start, end in attribution):
                continue
            for word in _parts(match.group()):
                lower = _bare(word)
                if lower in STOPWORDS or lower in _QUESTION_WORDS:
                    continue
                key = word if is_acronym(word) else lemma(lower)
                weights[key] = 2.0 if key in EVENT_VERBS else 1.0
                calendar = lower in _CALENDAR or _YEAR.fullmatch(lower) is not None
                if not calendar and (is_acronym(word) or (i > 0 and word[:1].isupper())):
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
    anywhere in the passage's article (`article_text`), e.g. the forum named in paragraph one;
    an acronym the article spells out stands for its words ("BRI" for "Belt and Road
    Initiative")."""
    out = []
    for i, passage in enumerate(passages):
        text = passage.chunk.text
        context = article_text(passage) if article_text else text
        names_found = _found_in(f"{passage.chunk.title}\n{context}", terms.proper)
        spelled = acronym_expansions(context)
        dated = _calendar_terms(passage.chunk.date, terms)
        for span in sentence_spans(text):
            sentence = text[span.start : span.end]
            found = _found_terms(sentence, terms, spelled) | dated
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


def _calendar_terms(day: date | None, terms: QuestionTerms) -> set[str]:
    """The question's month and year words that the article's own date gives: "in his
    October 2023 meeting" is what an article of 18 October 2023 is about, though its
    sentences say "on Wednesday" or nothing."""
    if day is None:
        return set()
    return {t for t in (lemma(MONTHS[day.month - 1].lower()), str(day.year)) if t in terms.weights}


def score_sentence(
    sentence: str, terms: QuestionTerms, spelled: dict[str, frozenset[str]] | None = None
) -> float:
    return sum(terms.weights[t] for t in _found_terms(sentence, terms, spelled))


def acronym_expansions(text: str) -> dict[str, frozenset[str]]:
    """Acronyms of `text` that it also spells out, with the lemmas of their words:
    "the Belt and Road Initiative (BRI) ... the BRI has been criticised" gives
    {"BRI": {"belt", "road", "initi"}}, so a later sentence's "BRI" holds those words."""
    words = _WORD.findall(text)
    acronyms = {w for w in words if is_acronym(w)}
    if not acronyms:
        return {}
    out: dict[str, frozenset[str]] = {}
    run: list[str] = []  # a capitalised stretch, connectors inside it kept
    for word in [*words, "."]:
        if word[:1].isupper() and not is_acronym(word):
            run.append(word)
            continue
        if run and word.lower() in _CONNECTORS:
            run.append(word)
            continue
        named = [w for w in run if w[:1].isupper()]
        for start in range(len(named)):
            for end in range(start + 2, min(len(named), start + 6) + 1):
                letters = "".join(w[0] for w in named[start:end])
                if letters in acronyms and letters not in out:
                    out[letters] = frozenset(lemma(_bare(w)) for w in named[start:end])
        run = []
    return out


def _found_terms(
    sentence: str, terms: QuestionTerms, spelled: dict[str, frozenset[str]] | None = None
) -> set[str]:
    words = [part for w in _WORD.findall(sentence) for part in {w, *_parts(w)}]
    lemmas = {lemma(_bare(w)) for w in words}
    acronyms = {w for w in words if is_acronym(w)} | initialisms(words)
    for acronym in acronyms & set(spelled or ()):
        lemmas |= (spelled or {})[acronym]
    return {t for t in terms.weights if t in lemmas or t in acronyms}


def _parts(word: str) -> list[str]:
    """ "Xi-Putin" is two names; "re-elected" and "Export-Import" stay one word each... unless
    every part is capitalised, as names are."""
    parts = [p for p in word.split("-") if p]
    if len(parts) > 1 and all(p[:1].isupper() for p in parts):
        return parts
    return [word]


def _bare(word: str) -> str:
    """Lower case without a possessive: "Putin's" matches "Putin"."""
    lower = word.lower().replace("’", "'")
    return lower[:-2] if lower.endswith("'s") else lower


def _found_in(text: str, names: frozenset[str]) -> set[str]:
    return _found_terms(text, QuestionTerms({n: 1.0 for n in names}, names))


def unknown_names(question: str, mentioned: Callable[[str], bool]) -> list[str]:
    """The question's names that no article can be about: `mentioned` knows neither the
    name's last word nor all of its words. Lenient on purpose, since a refusal here is final:
    titles do not count ("President Trump" needs only "Trump"), a known last word will do
    (the surname alone: "Vladimir Putin" when articles say "Putin"), and `mentioned` itself
    accepts transliterations. Not handled: a family name first ("Xi" of "Xi Jinping").
    Who published an article ("according to DW", "the Reuters report") is often not in its
    text, so such names never count as unknown."""
    unknown = []
    for start, end in _name_spans(question):
        name = question[start:end]
        if _ATTRIBUTED_BY.search(question, 0, start) or _ATTRIBUTION_OF.match(question, end):
            continue
        words = [w for w in name.split() if _bare(w).strip(".") not in _TITLES]
        own = [w for w in words if _bare(w) not in _QUALIFIERS] or words
        # The last word is the surname or the head ("World Cup" needs "Cup", not "World").
        if own and not mentioned(own[-1]) and not all(mentioned(word) for word in own):
            unknown.append(name)
    return unknown


def _name_spans(question: str) -> list[tuple[int, int]]:
    """Where the question's names are: runs of capitalised words (or acronyms) that do not
    start a sentence, without calendar words ("the SCO summit in Astana" gives "SCO",
    "Astana")."""
    spans: list[tuple[int, int]] = []
    run_start = run_end = -1
    for match in _WORD.finditer(question):
        word = match.group()
        is_name = (
            word[:1].isupper()
            and _SENTENCE_START.search(question, 0, match.start()) is None
            and word.lower() not in STOPWORDS
            and word.lower() not in _CALENDAR
        )
        if is_name and run_start >= 0 and question[run_end : match.start()] == " ":
            run_end = match.end()
            continue
        if run_start >= 0:
            spans.append((run_start, run_end))
            run_start = -1
        if is_name:
            run_start, run_end = match.start(), match.end()
    if run_start >= 0:
        spans.append((run_start, run_end))
    return spans
