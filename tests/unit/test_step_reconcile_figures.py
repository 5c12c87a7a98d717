"""reconcile_figures: other articles' figures for the same count, cited or named."""

from __future__ import annotations

from rag.answer.compose.verified import Verified
from rag.answer.compose.verify import verify_answer
from rag.answer.steps.pick_focus import pick_focus
from rag.answer.steps.reconcile_figures import reconcile_figures
from rag.types import Passage
from tests.unit.answer_context import passage, retrieved

ONE = "Six planes were seen over the harbour on Monday, officials said."
TWO = "Officials counted six planes over the harbour on Monday."
THREE = "Residents said eight planes flew over the harbour on Monday."
QUESTION = "How many planes were seen over the harbour?"


def _drafted(pool: list[Passage], agreeing_quote: bool = False) -> Verified:
    ctx = retrieved(QUESTION, pool)
    list(pick_focus(ctx))
    ctx.verified = verify_answer("Six planes were seen over the harbour [1].", pool)
    if agreeing_quote:
        ctx.quoted = ctx.verified
    list(reconcile_figures(ctx))
    return ctx.so_far


def test_an_agreeing_article_is_cited_and_a_differing_one_named() -> None:
    pool = [passage(0, ONE), passage(1, TWO), passage(2, THREE)]

    verified = _drafted(pool)

    assert {c.chunk_id for c in verified.citations} >= {p.chunk.chunk_id for p in pool[:2]}
    assert any(note.startswith("sources differ on") for note in verified.notes)


def test_a_quote_gets_no_agreeing_citations() -> None:
    pool = [passage(0, ONE), passage(1, TWO)]

    verified = _drafted(pool, agreeing_quote=True)

    assert [c.chunk_id for c in verified.citations] == [pool[0].chunk.chunk_id]
