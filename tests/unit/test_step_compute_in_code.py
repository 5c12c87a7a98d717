"""compute_in_code: the gap between two dated events is subtracted, a settled date stated, in
code."""

from __future__ import annotations

from rag.answer.steps.compute_in_code import compute_in_code
from tests.unit.answer_context import ASTANA, BEIJING, WEATHER, model, passage, retrieved


def test_days_between_two_meetings_are_computed_and_both_dates_cited() -> None:
    pool = [passage(0, WEATHER), passage(1, ASTANA), passage(2, BEIJING)]
    ctx = retrieved(
        "How many days between Xi and Putin's meeting in Beijing and their meeting in Astana?",
        pool,
        top_k=1,
    )

    list(compute_in_code(ctx))

    assert ctx.answer is not None and ctx.answer.answered
    assert ctx.answer.text.startswith("48 days")
    cited = {c.chunk_id for c in ctx.answer.citations}
    assert cited == {pool[1].chunk.chunk_id, pool[2].chunk.chunk_id}
    assert all(p in ctx.answer.passages for p in pool[1:])  # cited passages beyond the top k
    assert model(ctx).calls == []


def test_a_date_the_passages_settle_is_answered_without_the_model() -> None:
    ctx = retrieved("When did Xi meet Putin in Astana?", [passage(0, WEATHER), passage(1, ASTANA)])

    list(compute_in_code(ctx))

    assert ctx.answer is not None and ctx.answer.answered
    assert ctx.answer.text.startswith("Wednesday, 3 July 2024: “President Xi Jinping met")
    assert [c.chunk_id for c in ctx.answer.citations] == ["001:1"]
    assert model(ctx).calls == []


def test_another_question_is_left_to_the_model() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, ASTANA)])

    list(compute_in_code(ctx))

    assert ctx.answer is None
    assert ctx.generating_since > 0
