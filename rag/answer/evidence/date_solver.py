"""Answer "when/what date" questions in code, because a small model picks the wrong date.

MODELS.md measured it: shown "on Wednesday [3 July 2024]" next to "the summit is to be held on
Thursday [4 July 2024]", the 1.5B model answers 4 July for the Xi–Putin meeting. Here the
passage sentence that best matches the question's event (its verb counts double) gives the
date: its own, or, for a sentence with none ("Xi made the remarks when meeting …"), the single
date of the sentence just before it. Only a clear winner is used; otherwise the model's answer
stands and the citation check still applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from rag.answer.question.analysis import is_date_question
from rag.text.dates import MONTHS, WEEKDAYS, Granularity, find_dates, format_day
from rag.text.sentences import last_question, sentence_spans
from rag.text.terms import (
    EVENT_VERBS,
    QuestionTerms,
    acronym_expansions,
    found_terms,
    score_sentence,
)
from rag.types import Passage

_WHEN = re.compile(r"^\s*when\b", re.IGNORECASE)
# "In which month and year …", "In what year …": the answer is a period, not a day.
_MONTH_QUESTION = re.compile(r"\b(?:what|which)\s+month\b", re.IGNORECASE)
_YEAR_QUESTION = re.compile(r"\b(?:what|which)\s+year\b", re.IGNORECASE)
# A sentence whose subject is a pronoun continues the one before it.
_PRONOUN_START = re.compile(r"^[\"“‘(]*(?:He|She|They|It|His|Her|Their)\b")
# Whether a sentence states the question's event (`Premise.stated_in`).
StatesEvent = Callable[[str], bool]
_COARSER = {"day": 0, "month": 1, "year": 2}


@dataclass(frozen=True)
class DatedEvidence:
    passage_index: int
    day: date
    sentence: str
    score: float
    # Offsets in the chunk text of what states the day: the sentence, or it and the sentence
    # before when that one gives the day; a citation quoting less would not back the date.
    start: int = 0
    end: int = 0
    # Whether the sentence holds one of the question's event verbs ("land", "meet").
    has_event: bool = False
    # What `day` stands for: that day, or (first day of) its month or year.
    granularity: Granularity = "day"

    def describe(self) -> str:
        """ "Wednesday, 3 July 2024", "March 2023" or "2022"."""
        if self.granularity == "year":
            return str(self.day.year)
        if self.granularity == "month":
            return f"{MONTHS[self.day.month - 1]} {self.day.year}"
        return f"{WEEKDAYS[self.day.weekday()]}, {format_day(self.day)}"

    def quote(self, text: str) -> str:
        return text[self.start : self.end] if self.end > self.start else self.sentence


def asked_granularity(question: str) -> Granularity | None:
    """What a date question asks for: a day ("on what date", "when"), a month ("in which
    month and year") or a year ("in which year"); None for other questions. Of a text that
    asks several ("When was the visit? How did they describe it?"), the last one counts."""
    question = last_question(question)
    if _MONTH_QUESTION.search(question):
        return "month"
    if _YEAR_QUESTION.search(question):
        return "year"
    return "day" if is_date_question(question) else None


def solve_asked(question: str, passages: list[Passage]) -> DatedEvidence | None:
    """`solve` at the granularity the question asks for; a "when" with no day in any answering
    sentence is answered by its month ("in February 2022")."""
    return DatedQuestion(question, QuestionTerms.of(question)).asked(passages)


class DatedQuestion:
    """The date solver's findings for one question, each worked out once however many steps
    ask: a question's date is solved over the pool (to answer in code, or to quote) and over
    the prompt's passages (to repair the model's draft)."""

    def __init__(
        self, question: str, terms: QuestionTerms, event: StatesEvent | None = None
    ) -> None:
        self.question = question
        self.terms = terms
        self.event = event
        self._found: dict[tuple[tuple[str, ...], Granularity], DatedEvidence | None] = {}

    def solve(
        self, passages: list[Passage], granularity: Granularity = "day"
    ) -> DatedEvidence | None:
        key = (tuple(p.chunk.chunk_id for p in passages), granularity)
        if key not in self._found:
            self._found[key] = solve(self.question, passages, granularity, self.terms, self.event)
        return self._found[key]

    def asked(self, passages: list[Passage]) -> DatedEvidence | None:
        """At the granularity the question asks for; a "when" with no day in any answering
        sentence is answered by its month ("in February 2022")."""
        granularity = asked_granularity(self.question)
        if granularity is None:
            return None
        found = self.solve(passages, granularity)
        if found is None and granularity == "day" and _WHEN.search(last_question(self.question)):
            found = self.solve(passages, "month")
        return found


def solve(
    question: str,
    passages: list[Passage],
    granularity: Granularity = "day",
    terms: QuestionTerms | None = None,
    event: StatesEvent | None = None,
) -> DatedEvidence | None:
    """The date of the best-matching event sentence, or None when no clear winner exists.
    `granularity` other than "day" dates it by month or year, for any question; `terms`: the
    question's, when the caller has them already; `event`: whether a sentence states the
    question's event, which a dating sentence must ("When did he die?" is no question about
    the day he was shot)."""
    if granularity == "day" and not is_date_question(last_question(question)):
        return None
    if terms is None:
        terms = QuestionTerms.of(question)
    if terms.total == 0:
        return None
    # An acronym an article spells out in another of its passages ("BRI") counts as its words.
    articles: dict[str, list[str]] = {}
    for p in passages:
        articles.setdefault(p.chunk.doc_id, []).append(p.chunk.text)
    spelled = {doc: acronym_expansions("\n".join(texts)) for doc, texts in articles.items()}
    scored = [
        c
        for i, p in enumerate(passages)
        for c in _candidates(i, p, terms, spelled[p.chunk.doc_id], granularity, event)
    ]
    if event is not None:
        scored = [c for c in scored if c.has_event]
    if not scored:
        return None
    if any(c.has_event for c in scored):
        # "When did Putin land?" is dated by a sentence about landing: a photo caption naming
        # Putin, Beijing and the forum on another day is no rival to "Putin landed on Tuesday".
        scored = [c for c in scored if c.has_event]
    best = max(scored, key=lambda c: c.score)
    rival = max((c.score for c in scored if c.day != best.day), default=0.0)
    if best.score < 0.5 * terms.total or best.score <= rival:
        return None
    return best


def _candidates(
    index: int,
    passage: Passage,
    terms: QuestionTerms,
    spelled: dict[str, frozenset[str]],
    granularity: Granularity = "day",
    event: StatesEvent | None = None,
) -> list[DatedEvidence]:
    chunk = passage.chunk
    spans = sentence_spans(chunk.text)
    days = [_single(chunk.text[s.start : s.end], chunk.date, granularity) for s in spans]
    events = {t for t in terms.weights if t in EVENT_VERBS}
    out = []
    for k, span in enumerate(spans):
        text = chunk.text[span.start : span.end]
        day = days[k]
        start = span.start
        if day is None and k > 0 and not find_dates(text, chunk.date):
            day = days[k - 1]  # "Xi made the remarks when …" takes the previous sentence's day
            start = spans[k - 1].start
        if day is not None:
            found = found_terms(text, terms, spelled)
            if k > 0 and _PRONOUN_START.match(text):
                # "He died on 27 December" is about whom the sentence before names.
                previous = chunk.text[spans[k - 1].start : spans[k - 1].end]
                found |= found_terms(previous, terms, spelled)
            score = sum(terms.weights[t] for t in found)
            if event is not None:
                # The event in the sentence that is dated by its own day or, with none, by
                # the one before it ("… on Tuesday. Xi made the remarks when meeting Putin").
                has_event = event(text)
            else:
                has_event = bool(events) and score_sentence(text, terms.only(events)) > 0
            out.append(
                DatedEvidence(index, day, text, score, start, span.end, has_event, granularity)
            )
    return out


def _single(text: str, anchor: date | None, granularity: Granularity) -> date | None:
    """The one date of `text` at `granularity` (a day also gives its month and year), or None
    when it has none or several."""
    found = set()
    for m in find_dates(text, anchor):
        if "week" in m.text.lower() or _COARSER[m.granularity] > _COARSER[granularity]:
            continue
        value = m.value
        if granularity == "month":
            value = value.replace(day=1)
        elif granularity == "year":
            value = date(value.year, 1, 1)
        found.add(value)
    return found.pop() if len(found) == 1 else None


def apply(raw: str, evidence: DatedEvidence) -> str:
    """Make the model's draft state the solved date and cite the passage that holds it."""
    marker = f"[{evidence.passage_index + 1}]"
    day_text = format_day(evidence.day)
    mentions = [m for m in find_dates(raw, None) if m.granularity == "day"]
    if not mentions or "NOT IN ARTICLES" in raw.upper():
        return f"It was on {day_text} {marker}."
    fixed = raw
    for m in sorted(mentions, key=lambda m: m.start, reverse=True):
        if m.value != evidence.day:
            fixed = fixed[: m.start] + day_text + fixed[m.end :]
    if marker not in fixed:
        fixed = re.sub(r"([.!?]?)\s*$", lambda t: f" {marker}{t.group(1)}", fixed, count=1)
    return fixed
