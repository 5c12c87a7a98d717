"""retrieve_in_scope: the pool, the prompt's top k, the time scope, a refusal when empty."""

from __future__ import annotations

from datetime import date

from rag.answer.steps.retrieve_in_scope import retrieve_in_scope
from tests.unit.answer_context import ASTANA, BEIJING, WEATHER, context, passage


def test_the_pool_is_wider_than_the_prompt_s_passages() -> None:
    pool = [passage(i, text) for i, text in enumerate((ASTANA, BEIJING, WEATHER))]
    ctx = context("When did Xi meet Putin?", pool, top_k=2)
    ctx.standalone = ctx.question

    list(retrieve_in_scope(ctx))

    assert ctx.pool == pool
    assert ctx.passages == pool[:2]
    assert ctx.scope is not None and not ctx.scope.found
    assert ctx.answer is None
    assert "retrieve_s" in ctx.timings


def test_a_month_in_the_question_keeps_other_months_articles_out() -> None:
    july = passage(0, ASTANA, day=date(2024, 7, 4))
    may = passage(1, BEIJING, day=date(2024, 5, 17))
    ctx = context("Where did Xi meet Putin in May 2024?", [july, may])
    ctx.standalone = ctx.question

    list(retrieve_in_scope(ctx))

    assert ctx.pool == [may]
    assert ctx.time_scope.found
    assert any(note.startswith("time scope: ") for note in ctx.notes)


def test_nothing_retrieved_finishes_with_the_plain_refusal() -> None:
    ctx = context("When did Xi meet Putin?", [])
    ctx.standalone = ctx.question

    list(retrieve_in_scope(ctx))

    assert ctx.answer is not None and ctx.answer.answered is False
    assert ctx.answer.passages == []
