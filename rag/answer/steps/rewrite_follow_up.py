"""Rewrite a follow-up into a question that retrieval can answer on its own."""

from __future__ import annotations

import time
from collections.abc import Iterable

from rag.answer.context import AnswerContext
from rag.answer.events import Token
from rag.answer.question.analysis import AnalysedQuestion
from rag.types import Message

REWRITE_MAX_TOKENS = 80


def rewrite_follow_up(ctx: AnswerContext) -> Iterable[Token]:
    """Sets `ctx.standalone`: the question itself without history; else the model's rewrite
    from the user's own earlier questions, so a wrong earlier answer does not carry into this
    one (the prompt shows no model answers)."""
    ctx.standalone = _standalone(ctx)
    return ()


def _standalone(ctx: AnswerContext) -> str:
    question, history = ctx.question, ctx.history
    if not history:
        return question
    t = time.perf_counter()
    prompt = ctx.parts.prompts.render("condense_question", history=history, question=question)
    text = "".join(
        ctx.meter.stream(
            ctx.parts.llm(),
            [Message("user", prompt)],
            max_tokens=REWRITE_MAX_TOKENS,
            cancel=ctx.cancel,
        )
    )
    ctx.timings["condense_s"] = time.perf_counter() - t
    rewritten = text.strip().splitlines()[0].strip().strip('"') if text.strip() else ""
    if not rewritten or len(rewritten) > 4 * len(question) + 200:
        # An unusable rewrite: fall back to the last question plus this one for retrieval.
        return f"{history[-1].question} {question}"
    asked = AnalysedQuestion.of(question, ctx.parts.nlp).premise
    if asked.predicate and not asked.stated_in(rewritten):
        # "When did he die?" after a question about a shooting must not become "When was he
        # shot?": the user's own event stays, with the earlier question for who "he" is.
        ctx.notes.append(f"the rewrite {rewritten!r} lost the follow-up's {asked.predicate!r}")
        return f"{history[-1].question} {question}"
    return rewritten
