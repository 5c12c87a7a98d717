"""Other outlets' figures for the same count: cite those that agree, name those that differ."""

from __future__ import annotations

from collections.abc import Iterable

from rag.answer.compose.figures import reconcile
from rag.answer.context import AnswerContext
from rag.answer.events import Token


def reconcile_figures(ctx: AnswerContext) -> Iterable[Token]:
    # A quote is one article's words: other articles' markers after it would misattribute.
    ctx.verified = reconcile(
        ctx.so_far,
        ctx.analysed,
        ctx.pool,
        ctx.matches,
        newer_only=ctx.time_scope.latest,
        agreeing=ctx.quoted is None,
        judge=ctx.judge,
    )
    return ()
