"""Questions code answers without the model: the gap between two dates, and a date asked for.

The date solver already overrides whatever day the model writes (`date_solver.apply`), so for
a question it dates with a clear winner the model call only costs time: the answer is the
solved day, month or year, then the sentence that states it, quoted and cited. A question the
solver finds no clear winner for goes to the model as before.
"""

from __future__ import annotations

from rag.answer.compose.date_arithmetic import days_between
from rag.answer.compose.quote import dated_answer
from rag.answer.compose.verified import Verified
from rag.answer.evidence.date_solver import DatedEvidence, DatedQuestion
from rag.answer.evidence.latest import Accept
from rag.answer.evidence.matching import SentenceMatch
from rag.text.terms import QuestionTerms
from rag.types import Passage


def computed_answer(
    question: str,
    passages: list[Passage],
    dates: DatedQuestion | None = None,
    accept: Accept | None = None,
) -> Verified | None:
    """The answer worked out in code from `passages`, or None to ask the model. `dates`: the
    question's date findings, when the caller keeps them; `accept`: whether the dating
    sentence answers the question (its participants, event and time), as a quote must."""
    between = days_between(question, passages)
    if between is not None:
        return between
    dates = dates or DatedQuestion(question, QuestionTerms.of(question))
    dated = dates.asked(passages)
    if dated is None:
        return None
    if accept is not None and not accept(_as_match(passages, dated)):
        return None
    verified = dated_answer(passages, dated)
    verified.notes.append(
        f"{dated.granularity} solved in code from passage {dated.passage_index + 1}; no model call"
    )
    return verified


def _as_match(passages: list[Passage], dated: DatedEvidence) -> SentenceMatch:
    """The dating sentence, as the judge reads quotes."""
    text = passages[dated.passage_index].chunk.text
    start, end = (dated.start, dated.end) if dated.end > dated.start else (0, len(text))
    return SentenceMatch(dated.passage_index, start, end, text[start:end], dated.score, 1.0, True)
