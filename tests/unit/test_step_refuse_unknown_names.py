"""refuse_unknown_names: a name no article has is refused at once, without the model."""

from __future__ import annotations

from rag.answer.steps.refuse_unknown_names import and_list, refuse_unknown_names
from tests.unit.answer_context import ASTANA, context, model, passage


def test_a_name_no_article_has_finishes_with_a_refusal_naming_it() -> None:
    ctx = context("What did Xi say about Taiwan?", [passage(0, ASTANA)], unknown=["Taiwan"])
    ctx.standalone = ctx.question

    list(refuse_unknown_names(ctx))

    assert ctx.answer is not None
    assert ctx.answer.answered is False
    assert ctx.answer.text.endswith("none of them mentions Taiwan.")
    assert ctx.answer.notes == ["not in any article: Taiwan"]
    assert "total_s" in ctx.answer.timings
    assert model(ctx).calls == []


def test_known_names_leave_the_question_to_the_next_steps() -> None:
    ctx = context("When did Xi meet Putin?", [passage(0, ASTANA)], unknown=["Taiwan"])
    ctx.standalone = ctx.question

    list(refuse_unknown_names(ctx))

    assert ctx.answer is None


def test_several_missing_names_are_listed_with_or() -> None:
    assert and_list(["Taiwan", "Tibet", "Hong Kong"]) == "Taiwan, Tibet or Hong Kong"
