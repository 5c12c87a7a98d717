"""Questions asking for the latest: answer from the newest article that answers, and say whose.

A story reported day by day has its figure superseded ("28 seats counted" on Saturday, "33
seats" on Monday). Retrieval ranks by similarity, not by date, so for a question that asks for
the latest state, the newest passage holding an answering sentence is chosen in code, and the
answer names its outlet and day in code: "33 seats, according to BBC on 16 March 2017 [1]".
"""

from __future__ import annotations

import re
from datetime import date

from rag.answer.compose.verify import Verified
from rag.answer.evidence.answerability import MIN_QUOTE_COVERAGE, adds_answer
from rag.answer.evidence.matching import SentenceMatch
from rag.answer.question.analysis import AnalysedQuestion
from rag.text.dates import format_day
from rag.types import Chunk, Passage

_MARKER_GROUP = re.compile(r"\s*((?:\[\d+\])+)")


def outlet_name(chunk: Chunk) -> str:
    """Who published the chunk: archive articles carry their outlet ("BBC") in metadata once
    the archive importer sets it; an uploaded file is known by its name."""
    return chunk.outlet or chunk.source


def answering(
    question: AnalysedQuestion, passages: list[Passage], matches: list[SentenceMatch]
) -> list[SentenceMatch]:
    """Sentences that answer: every name of the question, most of its words, and something of
    the kind it asks for (the bar the quote fallback uses)."""
    return [
        m
        for m in matches
        if m.has_all_names
        and m.coverage >= MIN_QUOTE_COVERAGE
        and adds_answer(question, m.text, passages[m.passage_index].chunk.date)
    ]


def newest_answering(
    question: AnalysedQuestion, passages: list[Passage], matches: list[SentenceMatch]
) -> int | None:
    """Index of the newest dated passage holding an answering sentence; among one day's, the
    best match. None when no dated passage answers."""
    best: tuple[date, float, int] | None = None
    for m in answering(question, passages, matches):
        day = passages[m.passage_index].chunk.date
        if day is None:
            continue
        key = (day, m.score, -m.passage_index)
        if best is None or key > best:
            best = key
    return None if best is None else -best[2]


def attribute(verified: Verified, chunk: Chunk) -> Verified:
    """Name the outlet and day of `chunk` where the answer first cites it; unchanged when the
    answer does not cite it (then it did not answer from the newest article)."""
    citation = next((c for c in verified.citations if c.chunk_id == chunk.chunk_id), None)
    if citation is None or not verified.answered:
        return verified
    marker = f"[{citation.n}]"
    group = next((g for g in _MARKER_GROUP.finditer(verified.text) if marker in g[1]), None)
    if group is None:
        return verified
    outlet = outlet_name(chunk)
    day = format_day(chunk.date) if chunk.date else ""
    if day and day in verified.text:
        if outlet in verified.text:
            return verified
        addition = f" ({outlet})"
    else:
        addition = f", according to {outlet}" + (f" on {day}" if day else "")
    text = verified.text[: group.start()] + addition + verified.text[group.start() :]
    note = f"newest answering article: {chunk.source} ({day or 'undated'})"
    return Verified(text, verified.citations, verified.answered, [*verified.notes, note])
