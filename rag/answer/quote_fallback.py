"""When the model declines but a retrieved sentence answers, answer from that sentence in code.

A 1.5B model declines about one answerable question in five, often with the answer in front
of it. Saying "the articles do not contain the answer" then is wrong and costs the user more
than a plain quote: so the sentence that names everything the question names and holds what
it asks for (answerability.best_quotable) is quoted, cited to its exact span, with its
relative dates resolved ("on Wednesday (3 July 2024)").
"""

from __future__ import annotations

from datetime import date

from rag.answer.answerability import AnalysedQuestion, best_quotable
from rag.citations import Verified, normalise_days
from rag.date_answers import DatedEvidence
from rag.documents.dates import find_dates, format_day
from rag.matching import SentenceMatch
from rag.types import Citation, Passage


def quote_answer(
    question: AnalysedQuestion,
    passages: list[Passage],
    matches: list[SentenceMatch],
    dated: DatedEvidence | None = None,
) -> Verified | None:
    """A cited quote of the best answering sentence, or None when no sentence answers."""
    best = best_quotable(question, matches, [p.chunk.date for p in passages])
    if best is None:
        return None
    chunk = passages[best.passage_index].chunk
    sentence = best.text.strip()
    lead = len(best.text) - len(best.text.lstrip())
    start = chunk.start + best.start + lead
    citation = Citation(
        n=1,
        source=chunk.source,
        start=start,
        end=start + len(sentence),
        quote=chunk.text[best.start + lead : best.start + lead + len(sentence)],
        date=chunk.date,
        chunk_id=chunk.chunk_id,
        title=chunk.title,
    )
    resolved = _with_resolved_dates(sentence, chunk.date)
    said = f"the article of {format_day(chunk.date)}" if chunk.date else f"{chunk.source}"
    short = f"{format_day(dated.day)}: " if dated is not None else ""
    text = f"{short}According to {said}, “{normalise_days(resolved.rstrip())}” [1]"
    note = f"answered by quoting {chunk.chunk_id} (the model declined or was not supported)"
    return Verified(text, [citation], answered=True, notes=[note])


def _with_resolved_dates(sentence: str, anchor: date | None) -> str:
    """ "on Wednesday" becomes "on Wednesday (3 July 2024)": a quote must carry its own date."""
    out, cursor = [], 0
    for m in find_dates(sentence, anchor):
        if m.relative and m.granularity == "day":
            out.append(f"{sentence[cursor : m.end]} ({format_day(m.value)})")
            cursor = m.end
    return "".join(out) + sentence[cursor:]
