from datetime import date

from rag import date_answers
from rag.documents.chunker import chunk_document
from rag.documents.loader import load_document
from rag.types import Passage
from tests.conftest import ASTANA, CORPUS


def _passages(*sources: str) -> list[Passage]:
    return [Passage(c, 1.0) for s in sources for c in chunk_document(load_document(CORPUS / s))]


def test_the_astana_meeting_is_dated_3_july_not_the_summit_day() -> None:
    passages = _passages(ASTANA, "003_891f867d674dd8be.txt")
    found = date_answers.solve(
        "On what date did Xi and Putin meet at the SCO summit in Astana?", passages
    )
    assert found is not None and found.day == date(2024, 7, 3)
    summit = date_answers.solve("On what date was the SCO summit in Astana held?", passages)
    assert summit is not None and summit.day == date(2024, 7, 4)


def test_beijing_state_visit_meeting_is_16_may() -> None:
    found = date_answers.solve(
        "On what date did Putin and Xi meet in Beijing in 2024?",
        _passages("003_891f867d674dd8be.txt", ASTANA),
    )
    assert found is not None and found.day == date(2024, 5, 16)


def test_no_clear_winner_means_no_answer() -> None:
    assert date_answers.solve("When did Putin visit North Korea?", _passages(ASTANA)) is None
    assert date_answers.solve("How many times did they meet?", _passages(ASTANA)) is None


def test_apply_replaces_a_wrong_date_and_adds_the_citation() -> None:
    evidence = date_answers.DatedEvidence(1, date(2024, 7, 3), "", 5.0)
    fixed = date_answers.apply("They met on July 4, 2024 in Astana. [2]", evidence)
    assert fixed == "They met on 3 July 2024 in Astana. [2]"
    assert date_answers.apply("NOT IN ARTICLES", evidence) == "It was on 3 July 2024 [2]."
