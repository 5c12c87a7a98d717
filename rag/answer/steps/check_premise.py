"""A question whose premise no retrieved article holds gets a correction, before any answer."""

from __future__ import annotations

from collections.abc import Iterable

from rag.answer.compose.correction import correction
from rag.answer.context import AnswerContext
from rag.answer.events import Token
from rag.answer.evidence.premise import check_premise as premise_check


def check_premise(ctx: AnswerContext) -> Iterable[Token]:
    """The articles name the question's participants but never its event ("resign"), never
    in its year, or never quote the speaker it names: the answer says so and quotes what they
    do say, without a model call (`Answer.corrected`)."""
    check = premise_check(
        ctx.analysed, ctx.pool, ctx.pool_matches(), ctx.article_text, ctx.parts.nlp
    )
    if check.holds:
        return ()
    verified = correction(ctx.analysed, check, ctx.pool)
    ctx.include({c.chunk_id for c in verified.citations})
    ctx.finish(verified)
    return ()
