"""The citation check, on real chunks of the sample articles (no model involved)."""

from datetime import date

import pytest

from rag.answer.compose.render import render
from rag.answer.compose.verified import REFUSAL_TEXT, Verified
from rag.answer.compose.verify import verify_answer
from rag.documents.chunker import chunk_document
from rag.documents.loader import load_document
from rag.text.facts import Evidence, claim_facts
from rag.types import Chunk, Passage
from tests.conftest import ASTANA, BRI, CORPUS


def shown(verified: Verified) -> str:
    """The answer as a reader gets it: rendered with its markers."""
    return render(verified.statements).text


def _chunk_with(source: str, needle: str) -> Chunk:
    chunks = chunk_document(load_document(CORPUS / source))
    return next(c for c in chunks if needle in c.text)


@pytest.fixture
def passages() -> list[Passage]:
    return [
        Passage(_chunk_with(BRI, "100 billion"), 0.9),
        Passage(_chunk_with(ASTANA, "Astana, Kazakhstan"), 0.8),
    ]


def test_a_correct_citation_is_kept_and_quotes_the_supporting_sentence(
    passages: list[Passage],
) -> None:
    v = verify_answer("Xi announced an additional $100 billion in loans [1].", passages)
    assert v.answered
    assert shown(v) == "Xi announced an additional $100 billion in loans [1]."
    (c,) = v.citations
    assert c.source == BRI
    assert "$100 billion" in c.quote
    assert load_document(CORPUS / BRI).text[c.start : c.end] == c.quote


def test_a_wrong_citation_moves_to_the_passage_that_holds_the_date(
    passages: list[Passage],
) -> None:
    v = verify_answer("Xi and Putin met in Astana on 3 July 2024 [1].", passages)
    (c,) = v.citations
    assert c.source == ASTANA
    # The resolved "on Wednesday" sentence and the meeting sentence are quoted together.
    assert "on Wednesday" in c.quote and "Astana" in c.quote
    assert any("moved citation" in n for n in v.notes)


def test_a_figure_no_passage_holds_is_removed(passages: list[Passage]) -> None:
    v = verify_answer("They met 99 times [2]. Xi announced $100 billion [1].", passages)
    assert "99" not in shown(v)
    assert shown(v) == "Xi announced $100 billion [1]."
    assert any("removed claim" in n for n in v.notes)


def test_only_unsupported_claims_means_a_plain_refusal(passages: list[Passage]) -> None:
    v = verify_answer("They met 99 times [1].", passages)
    assert not v.answered and shown(v) == REFUSAL_TEXT and v.citations == []


@pytest.mark.parametrize("raw", ["NOT IN ARTICLES", "", "  not in articles. "])
def test_model_refusal_becomes_the_plain_refusal(raw: str, passages: list[Passage]) -> None:
    v = verify_answer(raw, passages)
    assert not v.answered and shown(v) == REFUSAL_TEXT


def test_citation_numbers_out_of_range_are_dropped_or_repaired(passages: list[Passage]) -> None:
    v = verify_answer("Xi announced $100 billion [7].", passages)
    assert shown(v) == "Xi announced $100 billion [1]."
    assert v.citations[0].source == BRI


def test_uncited_sentence_with_a_figure_gets_a_citation(passages: list[Passage]) -> None:
    v = verify_answer("The lending was $100 billion.", passages)
    assert shown(v) == "The lending was $100 billion [1]."


def test_resolved_date_brackets_are_written_as_prose(passages: list[Passage]) -> None:
    v = verify_answer("Xi spoke on Wednesday [3 July 2024] [2].", passages)
    assert shown(v) == "Xi spoke on Wednesday (3 July 2024) [1]."


def test_facts_normalise_money_and_dates() -> None:
    f = claim_facts("China will lend $100bn; they met 42 times, on July 3, 2024.")
    assert f.numbers == {1e11, 42.0}
    assert f.days == {date(2024, 7, 3)}
    ev = Evidence.of("lend an additional $100 billion, met 42 times", None, (date(2024, 7, 3),))
    assert ev.supports(f)
    assert not ev.supports(claim_facts("They met 43 times."))


def test_a_month_named_without_a_year_must_be_the_sources_month() -> None:
    chunk = _chunk_with(BRI, "In August, Putin skipped")
    passages = [Passage(chunk, 1.0)]
    # The check is per passage: this one names March (the ICC warrant) too, so June is tested.
    wrong = verify_answer("In June, Putin skipped the BRICS summit in South Africa [1].", passages)
    right = verify_answer(
        "In August, Putin skipped the BRICS summit in South Africa [1].", passages
    )
    assert not wrong.answered
    assert right.answered and right.citations[0].source == BRI


def test_days_without_a_year_and_months_with_one_are_supported() -> None:
    blinken = _chunk_with("003_891f867d674dd8be.txt", "24th April")
    olympics = _chunk_with(BRI, "Winter Olympics in February 2022")
    passages = [Passage(blinken, 1.0), Passage(olympics, 0.9)]
    v = verify_answer("Blinken was in China from 24th April to 26th April 2024 [1].", passages)
    assert v.answered and v.citations[0].source == "003_891f867d674dd8be.txt"
    v = verify_answer("They declared a no-limits partnership in February 2022 [2].", passages)
    assert v.answered and v.citations[0].source == BRI


def test_the_publication_date_alone_does_not_support_a_claimed_day() -> None:
    chunk = _chunk_with("003_891f867d674dd8be.txt", "24th April")
    v = verify_answer("Putin visited Vietnam on 17 May 2024 [1].", [Passage(chunk, 1.0)])
    assert not v.answered


def test_answers_write_full_dates_one_way(passages: list[Passage]) -> None:
    v = verify_answer("Xi and Putin met in Astana on July 3, 2024 [2].", passages)
    assert shown(v) == "Xi and Putin met in Astana on 3 July 2024 [1]."


def _made_up_chunk(text: str) -> Chunk:
    return Chunk("x:0", "x", "x.txt", "Trade", date(2024, 5, 17), 0, len(text), text, text)


TRADE = (
    "Trade between China and Russia reached $190 billion in 2022, customs data show. "
    "Both leaders praised the growth. "
    "Officials met in Moscow to discuss energy. "
    "Analysts expect new pipelines. "
    "The two sides set no target for 2024, Peskov said."
)


def test_a_figure_and_a_year_far_apart_in_a_chunk_do_not_back_a_claim_together() -> None:
    # q051: 2022's figure given as 2024's because both sit in one 800-character chunk.
    passage = Passage(_made_up_chunk(TRADE), 1.0)

    wrong = verify_answer("China-Russia trade reached $190 billion in 2024 [1].", [passage])
    right = verify_answer("China-Russia trade reached $190 billion in 2022 [1].", [passage])

    assert wrong.answered is False
    assert right.answered and "$190 billion in 2022 [1]" in shown(right)


def test_a_role_claim_needs_person_role_and_place_in_one_sentence(
    passages: list[Passage],
) -> None:
    # q052: Putin, "President" and Kazakhstan all occur in the Astana passage, never together.
    wrong = verify_answer(
        "The president of Kazakhstan who hosted the SCO summit in Astana is Vladimir Putin [2].",
        passages,
    )
    right = verify_answer("Vladimir Putin is the president of Russia [2].", passages)

    assert wrong.answered is False
    assert any("role claim" in note for note in wrong.notes)
    assert right.answered
