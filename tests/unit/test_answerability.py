"""Whether a sentence answers a question or only repeats it."""

from __future__ import annotations

from datetime import date

import pytest

from rag.answer.evidence.answerability import adds_answer, best_quotable
from rag.answer.evidence.matching import SentenceMatch
from rag.answer.question.analysis import AnalysedQuestion, AnswerKind, answer_kind
from rag.text.nlp import shared_pipeline


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("On what date did Xi and Putin meet in Astana?", AnswerKind.DATE),
        ("When did Putin land in Beijing?", AnswerKind.DATE),
        ("How many times have Xi and Putin met?", AnswerKind.COUNT),
        ("How much extra lending did Xi announce?", AnswerKind.AMOUNT),
        ("What was the value of China-Russia trade in 2023?", AnswerKind.AMOUNT),
        ("Which anniversary of their relations did Xi mention?", AnswerKind.ORDINAL),
        ("Who invited Putin to visit Vietnam?", AnswerKind.PERSON),
        ("Which banks will provide the loans?", AnswerKind.PERSON),
        ("Where was the missing part found?", AnswerKind.PLACE),
        ("Which country hosted the 2024 SCO summit?", AnswerKind.COUNTRY),
        ("Which film won Best Picture?", AnswerKind.WORK),
        ("What did Xi say about the Belt and Road?", AnswerKind.STATEMENT),
        ("Why did Mark Rutte resign?", AnswerKind.REASON),
        ("What criticism has the initiative faced?", AnswerKind.OTHER),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: AnswerKind) -> None:
    assert answer_kind(question) is kind


def test_the_noun_a_which_phrase_asks_about_is_its_last_one() -> None:
    nlp = shared_pipeline()
    # "state" is a country word, but the question asks for an agency.
    question = "Which Chinese state news agency quoted Putin?"
    assert AnalysedQuestion.of(question, nlp).kind is AnswerKind.PERSON
    assert AnalysedQuestion.of("What state did the storm hit?", nlp).kind is AnswerKind.COUNTRY


def test_a_sentence_that_adds_nothing_is_no_answer() -> None:
    question = AnalysedQuestion.of("Where was the missing part found?")

    assert not adds_answer(question, "The missing part was eventually found in [1].")
    assert adds_answer(question, "The missing part was found in a field near Kherson [1].")


def test_a_figure_question_needs_a_figure() -> None:
    question = AnalysedQuestion.of("How many barrels of Russian oil does China import per day?")

    assert not adds_answer(question, "China is the biggest buyer of Russian oil.")
    assert adds_answer(question, "China imports 2.1 million barrels of Russian oil per day.")
    assert adds_answer(question, "China imports two million barrels a day.")


def test_a_date_question_needs_a_day_or_month() -> None:
    question = AnalysedQuestion.of("On what date did Putin visit Vietnam?")

    assert not adds_answer(question, "Putin accepted an invitation to visit Vietnam.")
    assert adds_answer(question, "Putin visited Vietnam on Wednesday.", date(2024, 6, 21))
    assert adds_answer(question, "Putin visited Vietnam on 20 June 2024.")


def test_a_person_question_needs_a_name_the_question_does_not_have() -> None:
    question = AnalysedQuestion.of("Who is the president of Kazakhstan?")

    assert not adds_answer(question, "The president of Kazakhstan hosted the summit.")
    assert adds_answer(question, "Kassym-Jomart Tokayev, the president of Kazakhstan, spoke.")


def test_citation_markers_are_not_figures() -> None:
    question = AnalysedQuestion.of("How many countries attended the forum?")

    assert not adds_answer(question, "Many countries attended the forum [1].")


def _match(text: str, coverage: float, names: bool = True, index: int = 0) -> SentenceMatch:
    return SentenceMatch(index, 0, len(text), text, coverage * 4, coverage, names)


def test_the_quotable_sentence_names_everything_covers_most_and_answers() -> None:
    question = AnalysedQuestion.of("How many times have Xi and Putin met?")
    answer = _match("We have met 42 times in the last ten years.", 0.75)
    matches = [
        _match("Xi and Putin met again.", 1.0),  # covers all, holds no figure
        _match("They met 42 times, Peskov said.", 0.75, names=False),  # lacks a name
        _match("Putin met 3 leaders.", 0.25),  # too little of the question
        answer,
    ]

    assert best_quotable(question, matches, [None]) == answer
    assert best_quotable(question, matches[:3], [None]) is None


def test_a_qualified_value_question_asks_for_a_figure() -> None:
    # q051: "the exact value" must not read as "other" (any two new words would answer it).
    from rag.answer.question.analysis import AnswerKind, answer_kind

    assert answer_kind("What was the exact value of China-Russia trade in 2024?") is (
        AnswerKind.AMOUNT
    )
