"""Which sentences answer, and for "latest" questions the newest article among them.

A story reported day by day has its figure superseded ("28 seats counted" on Saturday, "33
seats" on Monday). Retrieval ranks by similarity, not by date, so for a question that asks for
the latest state, the newest passage holding an answering sentence is chosen in code
(`compose.attribution` then names its outlet and day).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from rag.answer.evidence.answerability import MIN_QUOTE_COVERAGE, adds_answer
from rag.answer.evidence.matching import SentenceMatch
from rag.answer.question.analysis import AnalysedQuestion
from rag.types import Passage

Accept = Callable[[SentenceMatch], bool]


def answering(
    question: AnalysedQuestion,
    passages: list[Passage],
    matches: list[SentenceMatch],
    accept: Accept | None = None,
) -> list[SentenceMatch]:
    """Sentences that answer: every name of the question, most of its words, and something of
    the kind it asks for (the bar the quote fallback uses), and that `accept` (the judge)
    takes."""
    return [
        m
        for m in matches
        if m.has_all_names
        and m.coverage >= MIN_QUOTE_COVERAGE
        and adds_answer(question, m.text, passages[m.passage_index].chunk.date)
        and (accept is None or accept(m))
    ]


def newest_answering(
    question: AnalysedQuestion,
    passages: list[Passage],
    matches: list[SentenceMatch],
    accept: Accept | None = None,
) -> int | None:
    """Index of the newest dated passage holding an answering sentence; among one day's, the
    best match. None when no dated passage answers."""
    best: tuple[date, float, int] | None = None
    for m in answering(question, passages, matches, accept):
        day = passages[m.passage_index].chunk.date
        if day is None:
            continue
        key = (day, m.score, -m.passage_index)
        if best is None or key > best:
            best = key
    return None if best is None else -best[2]
