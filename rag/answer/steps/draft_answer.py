"""The model's draft: from the focused passage alone when there is one, else from the top k."""

from __future__ import annotations

from collections.abc import Iterator

from rag.answer.compose.draft import draft
from rag.answer.context import AnswerContext
from rag.answer.events import Token


def draft_answer(ctx: AnswerContext) -> Iterator[Token]:
    """Sets `ctx.verified`, streaming the model's tokens.

    One sentence names everything the question asks about: a one-passage prompt is short (fast
    first token) and the small model stops declining answers that are right there; the
    citation check still applies."""
    if ctx.focus is not None:
        focused = ctx.pool[ctx.focus]
        ctx.notes.append(f"answering from {focused.chunk.chunk_id}, whose sentence matches")
        ctx.verified = yield from draft(ctx, [focused], "answer_focused")
    else:
        ctx.verified = yield from draft(ctx, ctx.passages)
