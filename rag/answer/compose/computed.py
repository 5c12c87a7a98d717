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
from rag.answer.evidence.date_solver import DatedQuestion
from rag.text.terms import QuestionTerms
from rag.types import Passage


def computed_answer(
    question: str, passages: list[Passage], dates: DatedQuestion | None = None
) -> Verified | None:
    """The answer worked out in code from `passages`, or None to ask the model. `dates`: the
    question's date findings, when the caller keeps them."""
    between = days_between(question, passages)
    if between is not None:
        return between
    dates = dates or DatedQuestion(question, QuestionTerms.of(question))
    dated = dates.asked(passages)
    if dated is None:
        return None
    verified = dated_answer(passages, dated)
    verified.notes.append(
        f"{dated.granularity} solved in code from passage {dated.passage_index + 1}; no model call"
    )
    return verified
