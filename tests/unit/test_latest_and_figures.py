"""The newest answering article wins for "latest" questions; outlets' differing figures are
named, agreeing ones cited."""

from __future__ import annotations

import dataclasses
from datetime import date

from rag.answer.compose.attribution import attribute
from rag.answer.compose.figures import figures, reconcile
from rag.answer.compose.render import render
from rag.answer.compose.verified import Verified
from rag.answer.compose.verify import verify_answer
from rag.answer.evidence.latest import newest_answering
from rag.answer.evidence.matching import SentenceMatch, sentence_matches
from rag.answer.question.analysis import AnalysedQuestion
from rag.text.terms import QuestionTerms
from rag.types import Chunk, Passage


def shown(verified: Verified) -> str:
    """The answer as a reader gets it: rendered with its markers."""
    return render(verified.statements).text


QUESTION = "How many seats did the DUP win in the Northern Ireland assembly election?"


def passage(name: str, published: date | None, text: str, score: float = 1.0) -> Passage:
    chunk = Chunk(f"{name}:0", name, f"{name}.txt", "Stormont count", published, 0, len(text),
                  text, text)  # fmt: skip
    return Passage(chunk, score)


OLD = passage(
    "saturday",
    date(2017, 3, 4),
    "The DUP won 26 seats in the Northern Ireland assembly election, with counting still "
    "under way.",
    score=3.0,
)
NEW = passage(
    "monday",
    date(2017, 3, 6),
    "After the final count the DUP won 28 seats in the Northern Ireland assembly election.",
    score=1.0,
)
UNRELATED = passage(
    "other", date(2017, 3, 10), "Sinn Fein won 27 seats in the Northern Ireland assembly election."
)


def analyse(question: str, pool: list[Passage]) -> tuple[AnalysedQuestion, list[SentenceMatch]]:
    return AnalysedQuestion.of(question), sentence_matches(QuestionTerms.of(question), pool)


def test_newest_answering_passage_wins_over_the_best_ranked() -> None:
    pool = [OLD, NEW, UNRELATED]
    question, matches = analyse(QUESTION, pool)
    # The Sinn Fein article is newest but does not name the DUP: it does not answer.
    assert newest_answering(question, pool, matches) == 1


def test_no_dated_answer_gives_none() -> None:
    pool = [passage("undated", None, OLD.chunk.text), UNRELATED]
    question, matches = analyse(QUESTION, pool)
    assert newest_answering(question, pool, matches) is None


def test_attribution_names_outlet_and_day_in_code() -> None:
    verified = verify_answer("The DUP won 28 seats [1].", [NEW])
    out = attribute(verified, NEW.chunk)
    assert shown(out) == "The DUP won 28 seats, according to monday.txt on 6 March 2017 [1]."
    # An answer not citing the newest article is left as it is.
    assert shown(attribute(verified, OLD.chunk)) == shown(verified)


def test_attribution_outlet_from_chunk_metadata() -> None:
    bbc = Passage(dataclasses.replace(NEW.chunk, outlet="BBC"), 1)
    verified = verify_answer("The DUP won 28 seats [1].", [bbc])
    assert shown(attribute(verified, bbc.chunk)) == (
        "The DUP won 28 seats, according to BBC on 6 March 2017 [1]."
    )


def test_dates_and_years_are_no_figures() -> None:
    got = figures("The 2017 election on 4 March, and on Friday 3 seats", None)
    assert [(f.value, f.unit) for f in got] == [(3.0, "seat")]


def test_figures_read_digits_words_and_scales() -> None:
    got = figures("Six planes and 1,200 troops; 2 million people", None)
    assert [(f.value, f.unit, f.written) for f in got] == [
        (6.0, "plane", "six"),  # a Snowball stem: "planes" is no "plan"
        (1200.0, "troop", "1,200"),
        (2e6, "peopl", "2 million"),
    ]


PLANES_Q = "How many planes were destroyed in the attack on the Shayrat airbase?"
SHAYRAT = "were destroyed in the attack on the Shayrat airbase"
DW = passage("dw", date(2017, 3, 8), f"Six planes {SHAYRAT}.")
TASS = passage("tass", date(2017, 3, 8), f"Five planes {SHAYRAT}, the ministry said.")
CNN = passage("cnn", date(2017, 3, 7), "The attack on the Shayrat airbase destroyed six planes.")


def test_differing_figure_is_named_with_its_outlet() -> None:
    pool = [DW, TASS]
    question, matches = analyse(PLANES_Q, pool)
    verified = verify_answer("Six planes were destroyed [1].", pool)
    out = reconcile(verified, question, pool, matches)
    assert shown(out) == "Six planes were destroyed [1] (five according to tass.txt [2])."
    assert [c.source for c in out.citations] == ["dw.txt", "tass.txt"]
    assert out.citations[1].quote == TASS.chunk.text
    assert any("sources differ" in n for n in out.notes)


def test_agreeing_outlets_are_all_cited() -> None:
    pool = [DW, CNN]
    question, matches = analyse(PLANES_Q, pool)
    verified = verify_answer("Six planes were destroyed [1].", pool)
    out = reconcile(verified, question, pool, matches)
    assert shown(out) == "Six planes were destroyed [1][2]."
    assert [c.source for c in out.citations] == ["dw.txt", "cnn.txt"]


def test_latest_ignores_older_superseded_figures() -> None:
    pool = [NEW, OLD]
    question, matches = analyse(QUESTION, pool)
    verified = verify_answer("The DUP won 28 seats [1].", pool)
    assert shown(reconcile(verified, question, pool, matches, newer_only=True)) == shown(verified)
    # Not asked for the latest, the older count is a difference worth saying.
    plain = reconcile(verified, question, pool, matches)
    assert shown(plain) == "The DUP won 28 seats [1] (26 according to saturday.txt [2])."


def test_other_parties_counts_are_no_disagreement() -> None:
    """Sinn Fein's 27 seats are not the DUP's: the sentence does not name the DUP."""
    pool = [NEW, UNRELATED]
    question, matches = analyse(QUESTION, pool)
    verified = verify_answer("The DUP won 28 seats [1].", pool)
    assert shown(reconcile(verified, question, pool, matches)) == shown(verified)


def test_two_counts_of_one_unit_in_a_sentence_are_skipped() -> None:
    both = passage(
        "both",
        date(2017, 3, 6),
        "The DUP won 27 seats in the Northern Ireland assembly election and Sinn Fein 26 seats.",
    )
    pool = [NEW, both]
    question, matches = analyse(QUESTION, pool)
    verified = verify_answer("The DUP won 28 seats [1].", pool)
    assert shown(reconcile(verified, question, pool, matches)) == shown(verified)


def test_units_the_question_does_not_ask_about_are_ignored() -> None:
    pool = [DW, TASS]
    question, matches = analyse("Which airbase was attacked?", pool)
    verified = verify_answer("Six planes were destroyed at Shayrat [1].", pool)
    assert shown(reconcile(verified, question, pool, matches)) == shown(verified)


def test_a_quote_gets_no_agreeing_markers_but_still_the_difference() -> None:
    pool = [DW, CNN, TASS]
    question, matches = analyse(PLANES_Q, pool)
    verified = verify_answer("Six planes were destroyed [1].", pool)
    out = reconcile(verified, question, pool, matches, agreeing=False)
    assert shown(out) == "Six planes were destroyed [1] (five according to tass.txt [2])."
