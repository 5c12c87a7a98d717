"""retry_with_all_passages: one more draft from every passage only after a focused one failed."""

from __future__ import annotations

from rag.answer.compose.verified import REFUSAL_TEXT, Verified, refusal
from rag.answer.steps.retry_with_all_passages import retry_with_all_passages
from rag.types import Statement
from tests.unit.answer_context import ASTANA, BEIJING, model, passage, retrieved

DECLINED = refusal(["first draft"])


def test_an_answer_that_stands_is_not_retried() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, ASTANA)])
    ctx.verified = Verified([Statement("In Astana.")], answered=True)

    list(retry_with_all_passages(ctx))

    assert model(ctx).calls == []


def test_a_declined_unfocused_draft_becomes_the_plain_refusal_without_a_model_call() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, ASTANA)])
    ctx.verified, ctx.declined = DECLINED, True

    list(retry_with_all_passages(ctx))

    assert ctx.so_far == refusal(["first draft"])
    assert model(ctx).calls == []


def test_a_declined_focused_draft_is_retried_with_every_passage() -> None:
    pool = [passage(0, BEIJING), passage(1, ASTANA)]
    ctx = retrieved(
        "Where did Xi meet Putin in July?", pool, reply="They met in Astana, Kazakhstan [2]."
    )
    ctx.verified, ctx.declined, ctx.focus = DECLINED, True, 1

    streamed = "".join(t.text for t in retry_with_all_passages(ctx))

    assert streamed == "They met in Astana, Kazakhstan [2]."
    prompt = model(ctx).calls[0][-1].content
    assert "Beijing" in prompt and "Astana, Kazakhstan" in prompt
    assert ctx.so_far.answered


def test_a_retry_that_adds_nothing_is_a_refusal() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, ASTANA)], reply="Xi met Putin [1].")
    ctx.verified, ctx.declined, ctx.focus = DECLINED, True, 0

    list(retry_with_all_passages(ctx))

    assert ctx.so_far.answered is False and ctx.so_far.text == REFUSAL_TEXT
