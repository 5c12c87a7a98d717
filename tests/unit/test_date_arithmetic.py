"""Days between two events, computed from the dates their passages give (no model)."""

from __future__ import annotations

from datetime import date

from rag.answer.compose.date_arithmetic import days_between
from rag.answer.compose.render import render
from rag.answer.compose.verified import Verified
from rag.documents.chunker import chunk_document
from rag.documents.loader import load_document
from rag.text.facts import Evidence, claim_facts
from rag.types import Passage
from tests.conftest import ASTANA, CORPUS


def shown(verified: Verified) -> str:
    """The answer as a reader gets it: rendered with its markers."""
    return render(verified.statements).text


BEIJING_2024 = "003_891f867d674dd8be.txt"


def _passages(*sources: str) -> list[Passage]:
    return [
        Passage(chunk, 1.0)
        for source in sources
        for chunk in chunk_document(load_document(CORPUS / source))
    ]


def test_days_between_two_meetings_each_dated_from_its_own_article() -> None:
    # q040: 16 May 2024 (Beijing) to 3 July 2024 (Astana, "on Wednesday" in a 4 July article).
    question = (
        "How many days passed between Xi and Putin's meeting in Beijing in May 2024 "
        "and their meeting in Astana in July 2024?"
    )

    verified = days_between(question, _passages(BEIJING_2024, ASTANA))

    assert verified is not None
    assert shown(verified).startswith("48 days.")
    assert "16 May 2024 [1]." in shown(verified) and "3 July 2024 [2]." in shown(verified)
    first, second = verified.citations
    assert first.source == BEIJING_2024 and second.source == ASTANA
    astana = load_document(CORPUS / ASTANA)
    assert astana.text[second.start : second.end] == second.quote
    # "Xi made the remarks when meeting …" gets its day from the sentence before: the quote
    # holds both, so it backs "3 July 2024" on its own.
    assert Evidence.of(second.quote, astana.date).supports(claim_facts("on 3 July 2024"))
    assert Evidence.of(first.quote, date(2024, 5, 17)).supports(claim_facts("on 16 May 2024"))


def test_not_a_days_between_question() -> None:
    passages = _passages(ASTANA)

    assert days_between("On what date did Xi and Putin meet in Astana?", passages) is None
    assert days_between("How many days did the Astana summit last?", passages) is None


def test_an_event_no_passage_dates_gives_no_answer() -> None:
    question = "How many days passed between the moon landing and their meeting in Astana?"

    assert days_between(question, _passages(ASTANA)) is None
