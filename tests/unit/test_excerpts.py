"""Passages trimmed to the sentences about the question before the model reads them."""

from __future__ import annotations

from rag.answer.compose.excerpts import ELISION, trim_to_question
from rag.text.terms import QuestionTerms

TEXT = (
    "Leaders gathered in the capital on a cold morning. "
    "Xi announced an extra 350 billion yuan of lending for the Belt and Road. "
    "The money will come from the China Development Bank and the Export-Import Bank. "
    "Traffic was heavy near the venue all day. "
    "Officials said the weather would improve by the weekend. "
    "A separate dinner was held for foreign ministers."
)
LENDING = QuestionTerms.of("How much lending did Xi announce for the Belt and Road?")


def test_text_within_budget_is_unchanged() -> None:
    assert trim_to_question(TEXT, LENDING, len(TEXT)) == TEXT


def test_zero_budget_keeps_the_whole_passage() -> None:
    assert trim_to_question(TEXT, LENDING, 0) == TEXT


def test_keeps_the_matching_sentence_and_the_one_after_it_in_order() -> None:
    trimmed = trim_to_question(TEXT, LENDING, 170)

    assert trimmed == (
        f"{ELISION} Xi announced an extra 350 billion yuan of lending for the Belt and Road. "
        f"The money will come from the China Development Bank and the Export-Import Bank. "
        f"{ELISION}"
    )


def test_stays_within_budget_and_drops_unrelated_sentences() -> None:
    trimmed = trim_to_question(TEXT, LENDING, 120)

    assert len(trimmed) <= 120 + 2 * len(ELISION) + 2
    assert "350 billion yuan" in trimmed
    assert "Traffic" not in trimmed and "weather" not in trimmed


def test_an_over_long_best_sentence_is_cut_to_its_stretch_richest_in_question_words() -> None:
    trimmed = trim_to_question(TEXT, LENDING, 45)

    assert trimmed == f"{ELISION} yuan of lending for the Belt and Road. {ELISION}"


def test_a_cut_never_splits_a_resolved_date() -> None:
    text = (
        "Putin flew to Beijing this week [week of 16 October 2023] for the forum on the Belt and "
        "Road, his first trip abroad in months. Other news followed."
    )
    trimmed = trim_to_question(text, QuestionTerms.of("When did Putin fly to Beijing?"), 60)

    assert trimmed == f"Putin flew to Beijing this week [week of 16 October 2023] {ELISION}"


def test_without_any_matching_sentence_the_lead_is_kept() -> None:
    trimmed = trim_to_question(TEXT, QuestionTerms.of("What colour is the sky on Mars?"), 60)

    assert trimmed == f"Leaders gathered in the capital on a cold morning. {ELISION}"


def test_line_breaks_inside_a_kept_sentence_are_flattened() -> None:
    text = "Xi announced\nnew lending. " + "Unrelated filler sentence here. " * 10

    assert trim_to_question(text, LENDING, 60).startswith("Xi announced new lending.")
