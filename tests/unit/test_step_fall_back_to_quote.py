"""fall_back_to_quote: a declined or empty draft becomes a quote of the answering sentence."""

from __future__ import annotations

from rag.answer.compose.verified import Verified, refusal
from rag.answer.steps.fall_back_to_quote import fall_back_to_quote
from rag.answer.steps.pick_focus import pick_focus
from rag.types import Statement
from tests.unit.answer_context import ASTANA, WEATHER, passage, retrieved

DECLINED = refusal(["model declined"])


def test_a_declined_draft_is_replaced_by_the_answering_sentence_quoted_and_cited() -> None:
    pool = [passage(0, WEATHER), passage(1, ASTANA)]
    ctx = retrieved("When did Xi Jinping meet Vladimir Putin in Astana?", pool, top_k=1)
    list(pick_focus(ctx))
    ctx.passages = pool[:1]
    ctx.verified = DECLINED

    list(fall_back_to_quote(ctx))

    assert ctx.quoted is ctx.verified and ctx.so_far.answered
    # The day first, then the sentence that states it (no publication date beside the quote:
    # the citation check does not count it as evidence).
    assert ctx.so_far.text.startswith("Wednesday, 3 July 2024: “President Xi Jinping met")
    assert ctx.so_far.citations[0].chunk_id == pool[1].chunk.chunk_id
    assert pool[1] in ctx.passages
    assert "model declined" in ctx.notes
    assert not ctx.declined


def test_a_draft_that_repeats_the_question_counts_as_declined() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, WEATHER)])
    list(pick_focus(ctx))
    ctx.verified = Verified([Statement("Xi met Putin.")], answered=True)

    list(fall_back_to_quote(ctx))

    assert ctx.notes[-1] == "the draft adds nothing to the question: 'Xi met Putin.'"
    assert ctx.declined and ctx.quoted is None


def test_an_answer_that_answers_is_kept() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, ASTANA)])
    list(pick_focus(ctx))
    kept = Verified([Statement("They met in Astana.")], answered=True)
    ctx.verified = kept

    list(fall_back_to_quote(ctx))

    assert ctx.verified is kept and not ctx.declined and ctx.notes == []
