from datetime import date

from rag.answer.evidence import date_solver
from rag.documents.chunker import chunk_document
from rag.documents.loader import load_document
from rag.types import Chunk, Passage
from tests.conftest import ASTANA, CORPUS


def _passages(*sources: str) -> list[Passage]:
    return [Passage(c, 1.0) for s in sources for c in chunk_document(load_document(CORPUS / s))]


def test_the_astana_meeting_is_dated_3_july_not_the_summit_day() -> None:
    passages = _passages(ASTANA, "003_891f867d674dd8be.txt")
    found = date_solver.solve(
        "On what date did Xi and Putin meet at the SCO summit in Astana?", passages
    )
    assert found is not None and found.day == date(2024, 7, 3)
    summit = date_solver.solve("On what date was the SCO summit in Astana held?", passages)
    assert summit is not None and summit.day == date(2024, 7, 4)


def test_beijing_state_visit_meeting_is_16_may() -> None:
    found = date_solver.solve(
        "On what date did Putin and Xi meet in Beijing in 2024?",
        _passages("003_891f867d674dd8be.txt", ASTANA),
    )
    assert found is not None and found.day == date(2024, 5, 16)


def test_no_clear_winner_means_no_answer() -> None:
    assert date_solver.solve("When did Putin visit North Korea?", _passages(ASTANA)) is None
    assert date_solver.solve("How many times did they meet?", _passages(ASTANA)) is None


def test_apply_replaces_a_wrong_date_and_adds_the_citation() -> None:
    evidence = date_solver.DatedEvidence(1, date(2024, 7, 3), "", 5.0)
    fixed = date_solver.apply("They met on July 4, 2024 in Astana. [2]", evidence)
    assert fixed == "They met on 3 July 2024 in Astana. [2]"
    assert date_solver.apply("NOT IN ARTICLES", evidence) == "It was on 3 July 2024 [2]."


def _fake(text: str, day: date) -> Passage:
    chunk = Chunk("x:0", "x", "x.txt", "", day, 0, len(text), text, text)
    return Passage(chunk, 1.0)


def test_the_sentence_with_the_questions_event_verb_dates_it() -> None:
    # A caption naming more of the question's words, on another day, does not date a landing.
    text = (
        "Putin at the Belt and Road forum in Beijing, Wednesday, October 18, 2023. "
        "Putin landed on Tuesday, October 17, in Beijing with a large delegation."
    )
    found = date_solver.solve(
        "On what date did Putin land in Beijing for the Belt and Road forum?",
        [_fake(text, date(2023, 10, 18))],
    )
    assert found is not None and found.day == date(2023, 10, 17)
    assert found.quote(text).startswith("Putin landed")


def test_a_day_from_the_sentence_before_is_quoted_with_it() -> None:
    text = "Xi spoke on Wednesday in Astana. He made the remarks when meeting Putin."
    found = date_solver.solve(
        "On what date did Xi meet Putin in Astana?", [_fake(text, date(2024, 7, 4))]
    )
    assert found is not None and found.day == date(2024, 7, 3)
    assert found.quote(text) == text


def test_the_question_asks_for_a_day_a_month_or_a_year() -> None:
    ask = date_solver.asked_granularity
    assert ask("On what date did Xi and Putin meet in Astana?") == "day"
    assert ask("In which month and year did the ICC issue its warrant?") == "month"
    assert ask("In which year did trade reach $190 billion?") == "year"
    assert ask("How did they describe US policy?") is None
    # A follow-up joined to the question before it asks what its last question asks.
    assert ask("When was the state visit? How did they describe US policy?") is None


def test_month_and_year_questions_are_dated_from_the_sentence_that_gives_them() -> None:
    text = (
        "Putin met Xi in Beijing on Wednesday. "
        "In March, the International Criminal Court issued an arrest warrant for Putin. "
        "Trade reached up to $190 billion last year, according to customs data."
    )
    passages = [_fake(text, date(2023, 10, 18))]
    warrant = date_solver.solve_asked(
        "In which month and year did the International Criminal Court issue its arrest "
        "warrant for Putin?",
        passages,
    )
    assert warrant is not None and warrant.describe() == "March 2023"
    trade = date_solver.solve_asked("In which year did trade reach $190 billion?", passages)
    assert trade is not None and trade.describe() == "2022"
    day = date_solver.solve_asked("On what date did Putin meet Xi in Beijing?", passages)
    assert day is not None and day.describe() == "Wednesday, 18 October 2023"
