"""Markers in model output: read once into sentences with the numbers each carries."""

from __future__ import annotations

from rag.text.markers import CitedText, cited_sentences, markers, without_markers


def test_markers_after_the_full_stop_belong_to_the_sentence_before() -> None:
    text = "They met on 3 July 2024. [1] It was in Astana [2][3]. No citation here."
    assert cited_sentences(text) == [
        CitedText("They met on 3 July 2024.", (1,)),
        CitedText("It was in Astana.", (2, 3)),
        CitedText("No citation here.", ()),
    ]


def test_comma_lists_repeats_and_copied_date_brackets() -> None:
    text = "Xi spoke on Wednesday [3 July 2024] [1, 2][1]."
    assert cited_sentences(text) == [CitedText("Xi spoke on Wednesday (3 July 2024).", (1, 2))]


def test_abbreviations_do_not_split_a_cited_sentence() -> None:
    text = "The U.S. said it would respond [2]."
    assert cited_sentences(text) == [CitedText("The U.S. said it would respond.", (2,))]


def test_markers_are_written_and_removed() -> None:
    assert markers([1, 3]) == "[1][3]"
    assert without_markers("In Astana [1][2] (five [3]).") == "In Astana (five)."
