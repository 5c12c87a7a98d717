"""When the model declines but a retrieved sentence answers, answer from that sentence in code.

A 1.5B model declines about one answerable question in five, often with the answer in front
of it. Saying "the articles do not contain the answer" then is wrong and costs the user more
than a plain quote: so the sentence that names everything the question names and holds what
it asks for (answerability.best_quotable) is quoted, cited to its exact span, with its
relative dates resolved ("on Wednesday (3 July 2024)").
"""

from __future__ import annotations

from datetime import date

from rag.answer.compose.verified import Verified
from rag.answer.evidence.answerability import best_quotable
from rag.answer.evidence.date_solver import DatedEvidence
from rag.answer.evidence.latest import Accept
from rag.answer.evidence.matching import SentenceMatch
from rag.answer.question.analysis import AnalysedQuestion
from rag.text.dates import find_dates, format_day, normalise_days
from rag.types import Chunk, Citation, Passage, Statement


def quote_answer(
    question: AnalysedQuestion,
    passages: list[Passage],
    matches: list[SentenceMatch],
    dated: DatedEvidence | None = None,
    accept: Accept | None = None,
) -> Verified | None:
    """A cited quote of the best answering sentence, or None when no sentence answers.

    `dated` (the date solver's clear winner over the same `passages`) is itself the answer to
    a date question: its date, and the sentence (or two) that state it as the quote. `accept`:
    the judge of whether a sentence answers (participants, event, the asked kind)."""
    if dated is not None:
        return dated_answer(passages, dated)
    best = best_quotable(question, matches, [p.chunk.date for p in passages], accept)
    if best is None:
        return None
    return _quoted(passages[best.passage_index].chunk, best.start, best.end, "")


def dated_answer(passages: list[Passage], dated: DatedEvidence) -> Verified:
    """ "Wednesday, 3 July 2024: “…” [1]": the solved date, then the words that state it."""
    chunk = passages[dated.passage_index].chunk
    start, end = (dated.start, dated.end) if dated.end > dated.start else _find(chunk, dated)
    return _quoted(chunk, start, end, f"{dated.describe()}: ")


def _quoted(chunk: Chunk, start: int, end: int, prefix: str) -> Verified:
    note = f"answered by quoting {chunk.chunk_id} (in code)"
    return Verified([quoted_statement(chunk, start, end, prefix)], answered=True, notes=[note])


def quoted_statement(chunk: Chunk, start: int, end: int, prefix: str = "") -> Statement:
    """ "According to BBC, “…”", citing `chunk.text[start:end]`, its relative dates resolved.
    `prefix` leads in ("Wednesday, 3 July 2024: "); with one, the outlet is named lower case."""
    citation = Citation.of(chunk, start, end)
    sentence = " ".join(citation.quote.split())
    resolved = _with_resolved_dates(sentence, chunk.date)
    # The publication date stays in the citation, not the sentence: a reader (and the check)
    # would take a day written next to the quote as a claim the quote must back.
    said = f"According to {chunk.outlet}, " if chunk.outlet else ""
    text = f"{prefix}{said}“{normalise_days(resolved.rstrip())}”"
    return Statement(text, (citation,))


def _find(chunk: Chunk, dated: DatedEvidence) -> tuple[int, int]:
    at = max(chunk.text.find(dated.sentence), 0)
    return at, at + len(dated.sentence)


def _with_resolved_dates(sentence: str, anchor: date | None) -> str:
    """ "on Wednesday" becomes "on Wednesday (3 July 2024)": a quote must carry its own date."""
    out, cursor = [], 0
    for m in find_dates(sentence, anchor):
        # "this week" resolves to its Monday, which is no day of the event: left as written.
        if m.relative and m.granularity == "day" and "week" not in m.text.lower():
            out.append(f"{sentence[cursor : m.end]} ({format_day(m.value)})")
            cursor = m.end
    return "".join(out) + sentence[cursor:]
