"""The names a question uses, and which of them no article mentions."""

from __future__ import annotations

import pytest

from rag.retrieval.bm25 import BM25Index
from rag.text.names import unknown_names
from rag.text.terms import QuestionTerms, acronym_expansions, score_sentence
from rag.types import Chunk

VOCABULARY = {"xi", "putin", "sco", "astana", "kazakhstan", "beij", "bri"}


def mentioned(word: str) -> bool:
    return word.lower().rstrip("'s") in VOCABULARY or "kazakhstan".startswith(word.lower()[:5])


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Did Xi and Putin meet at the SCO summit in Astana?", ["Xi", "Putin", "SCO", "Astana"]),
        ("What is the population of the first Mars colony?", ["Mars"]),
        ("On what date did Putin visit North Korea?", ["Putin", "North Korea"]),
        ("Xi met Putin. Give the date.", ["Putin"]),  # "Give" starts a sentence
        ("What happened on Wednesday in July?", []),  # calendar words name nothing
        ("Who won the 2024 US presidential election?", ["US"]),
        ("what did xi say?", []),
    ],
)  # fmt: skip
def test_every_name_is_unknown_to_an_empty_corpus(question: str, names: list[str]) -> None:
    assert unknown_names(question, lambda word: False) == names


def test_unknown_names_are_those_with_a_word_no_article_has() -> None:
    question = "Did Xi discuss Taiwan or North Korea with the Kazakh president in Astana?"

    assert unknown_names(question, mentioned) == ["Taiwan", "North Korea"]


def test_a_question_whose_names_all_occur_has_none_unknown() -> None:
    assert unknown_names("When did Putin's SCO trip to Astana start?", mentioned) == []


@pytest.mark.parametrize(
    "question",
    [
        "What did Putin call the BRI, according to DW?",
        "What did the Reuters report say about Xi?",
        "How did Xi greet Putin, as reported by Bloomberg?",
    ],
)
def test_who_published_an_article_is_never_an_unknown_name(question: str) -> None:
    # Outlets rarely name themselves in their own articles.
    assert unknown_names(question, mentioned) == []


def test_a_possessive_matches_the_name() -> None:
    terms = QuestionTerms.of("When did Putin’s visit to Beijing start?")

    assert score_sentence("Putin's trip to Beijing began on Tuesday.", terms) == score_sentence(
        "Putin trip to Beijing began on Tuesday.", terms
    )
    assert "putin" in terms.proper


@pytest.mark.parametrize(
    "question",
    [
        "What did President Putin say in Astana?",  # a title plus a surname
        "Did Mr Xi visit Kazakhstan?",
        "When did Vladimir Putin arrive?",  # the articles may use the surname alone
    ],
)
def test_titles_and_a_known_surname_are_enough(question: str) -> None:
    assert unknown_names(question, mentioned) == []


def test_a_qualifier_alone_does_not_make_a_place_known() -> None:
    def knows_north(word: str) -> bool:
        return mentioned(word) or word.lower() == "north"

    assert unknown_names("Did Putin visit North Korea?", knows_north) == ["North Korea"]


def test_a_transliterated_name_is_known_through_the_keyword_index() -> None:
    index = BM25Index([_chunk("President Zelensky met Dmitry Medvedev in Minsk.")])

    assert unknown_names("What did Zelenskiy and Medvedyev agree?", index.mentions) == []
    assert unknown_names("What did Zelenskiy tell Lukashenko?", index.mentions) == ["Lukashenko"]


def _chunk(text: str) -> Chunk:
    return Chunk("c1", "d1", "a.txt", "", None, 0, len(text), text, text)


def test_an_acronym_the_article_spells_out_holds_its_words() -> None:
    article = (
        "Putin attended the Belt and Road Initiative (BRI) forum in Beijing. "
        "The BRI has been criticized for saddling recipient countries with debt."
    )
    spelled = acronym_expansions(article)
    assert spelled["BRI"] == {"belt", "road", "initi"}
    terms = QuestionTerms.of("What criticism has the Belt and Road Initiative faced?")
    sentence = "The BRI has been criticized for saddling recipient countries with debt."
    assert score_sentence(sentence, terms, spelled) > score_sentence(sentence, terms)
    assert acronym_expansions("No spelled-out names here, only the UN.") == {}


def test_question_terms_split_name_compounds_and_skip_outlets_and_dates() -> None:
    terms = QuestionTerms.of(
        "What did the May 2024 Xi-Putin joint statement condemn, according to DW?"
    )
    assert {"xi", "putin"} <= terms.proper  # prose writes "Xi and Putin"
    assert "DW" not in terms.weights  # an outlet is seldom named in its own text
    assert "may" in terms.weights and "may" not in terms.proper  # a passage says "Thursday"
    assert "2024" not in terms.proper
    # "re-elected" is one word, not two names.
    assert "re-elect" in QuestionTerms.of("For which term was Putin re-elected?").weights


def test_the_articles_date_gives_the_questions_month_and_year() -> None:
    from datetime import date

    from rag.answer.evidence.matching import sentence_matches
    from rag.types import Passage

    text = "The meeting, spanning two days, aims to highlight the bond between the leaders."
    chunk = Chunk("c:0", "c", "c.txt", "", date(2024, 5, 17), 0, len(text), text, text)
    terms = QuestionTerms.of("Over how many days did the May 2024 meeting span?")

    (match,) = sentence_matches(terms, [Passage(chunk, 1.0)])
    assert match.coverage == 1.0  # "May 2024" from the article of 17 May 2024
    undated = Chunk("c:0", "c", "c.txt", "", None, 0, len(text), text, text)
    (match,) = sentence_matches(terms, [Passage(undated, 1.0)])
    assert match.coverage < 1.0
