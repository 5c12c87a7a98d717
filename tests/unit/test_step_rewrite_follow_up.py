"""rewrite_follow_up: a follow-up becomes a standalone question, from the user's own words."""

from __future__ import annotations

from rag.answer.steps.rewrite_follow_up import rewrite_follow_up
from rag.types import Turn
from tests.unit.answer_context import context, model

HISTORY = [Turn("When did Xi meet Putin in Astana?", "They met in Beijing [1].")]


def test_a_first_question_is_its_own_standalone_question_without_a_model_call() -> None:
    ctx = context("When did Xi meet Putin in Astana?")

    assert list(rewrite_follow_up(ctx)) == []

    assert ctx.standalone == "When did Xi meet Putin in Astana?"
    assert model(ctx).calls == []


def test_a_follow_up_is_rewritten_from_the_earlier_questions_not_the_answers() -> None:
    ctx = context(
        "And what did they discuss?",
        reply="What did Xi and Putin discuss in Astana?",
        history=HISTORY,
    )

    list(rewrite_follow_up(ctx))

    assert ctx.standalone == "What did Xi and Putin discuss in Astana?"
    prompt = model(ctx).calls[0][-1].content
    assert "When did Xi meet Putin in Astana?" in prompt
    assert "Beijing" not in prompt  # the model's earlier (wrong) answer stays out
    assert "condense_s" in ctx.timings


def test_an_empty_rewrite_falls_back_to_the_last_question_and_this_one() -> None:
    ctx = context("And what did they discuss?", reply="", history=HISTORY)

    list(rewrite_follow_up(ctx))

    assert ctx.standalone == "When did Xi meet Putin in Astana? And what did they discuss?"
