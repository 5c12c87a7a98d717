"""Answers worked out in code, without the model: a solved date quoted with its sentence."""

from __future__ import annotations

from datetime import date

from rag.answer.compose.computed import computed_answer
from rag.types import Chunk, Passage

TEXT = (
    "Xi highlights ties. President Xi Jinping called on Wednesday for closer ties. "
    "Xi made the remarks when meeting Putin in Astana, Kazakhstan. "
    "The summit is to be held on Thursday."
)


def _passage() -> Passage:
    chunk = Chunk("004:0", "004", "004.txt", "", date(2024, 7, 4), 50, 50 + len(TEXT), TEXT, TEXT)
    return Passage(chunk, 1.0)


def test_a_dated_question_is_answered_with_the_day_and_the_sentences_that_state_it() -> None:
    verified = computed_answer("On what date did Xi and Putin meet in Astana?", [_passage()])

    assert verified is not None and verified.answered
    assert verified.text.startswith("Wednesday, 3 July 2024: “President Xi Jinping called on")
    (citation,) = verified.citations
    assert TEXT[citation.start - 50 : citation.end - 50] == citation.quote
    assert citation.quote.endswith("Astana, Kazakhstan.")  # the day and the meeting, together


def test_no_computed_answer_without_a_clear_date() -> None:
    assert computed_answer("What did Xi call for?", [_passage()]) is None
    assert computed_answer("On what date did Putin visit Vietnam?", [_passage()]) is None
