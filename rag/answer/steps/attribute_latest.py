"""For "latest" questions, say whose (newest) article the answer is from."""

from __future__ import annotations

from collections.abc import Iterable

from rag.answer.compose.attribution import attribute
from rag.answer.context import AnswerContext
from rag.answer.events import Token


def attribute_latest(ctx: AnswerContext) -> Iterable[Token]:
    if ctx.newest is not None:
        ctx.verified = attribute(ctx.so_far, ctx.pool[ctx.newest].chunk)
    return ()
