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
from dataclasses import dataclass
from datetime import date

from rag.documents.dates import find_dates, format_day
from rag.matching import QuestionTerms, score_sentence
from rag.text.sentences import sentence_spans
from rag.types import Passage

DATE_QUESTION = re.compile(
    r"^\s*(?:on\s+|in\s+)?(?:what|which)\s+(?:exact\s+)?(?:date|day)\b|^\s*when\b", re.IGNORECASE
)


@dataclass(frozen=True)
class DatedEvidence:
    passage_index: int
    day: date
    sentence: str
    score: float


def is_date_question(question: str) -> bool:
    return bool(DATE_QUESTION.search(question))


def solve(
    question: str, passages: list[Passage], terms: QuestionTerms | None = None
) -> DatedEvidence | None:
    """The date of the best-matching event sentence, or None when no clear winner exists.
    `terms`: the question's, when the caller has them already."""
    if not is_date_question(question):
        return None
    if terms is None:
        terms = QuestionTerms.of(question)
    if terms.total == 0:
        return None
    scored = [c for i, p in enumerate(passages) for c in _candidates(i, p, terms)]
    if not scored:
        return None
    best = max(scored, key=lambda c: c.score)
    rival = max((c.score for c in scored if c.day != best.day), default=0.0)
    if best.score < 0.5 * terms.total or best.score <= rival:
        return None
    return best


def _candidates(index: int, passage: Passage, terms: QuestionTerms) -> list[DatedEvidence]:
    chunk = passage.chunk
    spans = sentence_spans(chunk.text)
    days = [_single_day(chunk.text[s.start : s.end], chunk.date) for s in spans]
    out = []
    for k, span in enumerate(spans):
        text = chunk.text[span.start : span.end]
        day = days[k]
        if day is None and k > 0 and not find_dates(text, chunk.date):
            day = days[k - 1]  # "Xi made the remarks when …" takes the previous sentence's day
        if day is not None:
            out.append(DatedEvidence(index, day, text, score_sentence(text, terms)))
    return out


def _single_day(text: str, anchor: date | None) -> date | None:
    days = {
        m.value
        for m in find_dates(text, anchor)
        if m.granularity == "day" and "week" not in m.text.lower()
    }
    return days.pop() if len(days) == 1 else None


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
