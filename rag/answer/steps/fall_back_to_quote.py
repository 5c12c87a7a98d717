"""Quote the source sentence that answers when the draft declined or added nothing."""

from __future__ import annotations

from collections.abc import Iterable

from rag.answer.compose.quote import quote_answer
from rag.answer.context import AnswerContext
from rag.answer.events import Token
from rag.answer.evidence.answerability import adds_answer


def fall_back_to_quote(ctx: AnswerContext) -> Iterable[Token]:
    """The model declined, or what it said did not survive the checks: a source sentence that
    answers is quoted (`ctx.quoted`) instead of a wrong "not in the articles". When none does,
    `ctx.declined` is set for `retry_with_all_passages`."""
    verified = ctx.so_far
    if verified.answered and adds_answer(ctx.analysed, verified.text):
        return ()
    if verified.answered:
        ctx.notes.append(f"the draft adds nothing to the question: {verified.text!r}")
    dated = ctx.dates.solve(ctx.pool)
    quoted = quote_answer(ctx.analysed, ctx.pool, ctx.quotable, dated, ctx.judge.answers)
    if quoted is None:
        ctx.declined = True
        return ()
    ctx.notes += verified.notes
    ctx.verified = ctx.quoted = quoted
    cited = next(p for p in ctx.pool if p.chunk.chunk_id == quoted.citations[0].chunk_id)
    if cited not in ctx.passages:
        ctx.passages = [*ctx.passages, cited]
    return ()
