"""Drop what cites a document deleted while the answer was being written."""

from __future__ import annotations

from collections.abc import Iterable

from rag.answer.compose.still_stored import keep_stored
from rag.answer.context import AnswerContext
from rag.answer.events import Token


def drop_deleted_sources(ctx: AnswerContext) -> Iterable[Token]:
    """One look-up of the cited and retrieved chunks, just before the answer is final; runs on
    every answer, however an earlier step finished it."""
    answer = ctx.answer
    if answer is None:
        raise RuntimeError("drop_deleted_sources runs on a finished answer")
    ids = [c.chunk_id for c in answer.citations] + [p.chunk.chunk_id for p in answer.passages]
    if ids:
        ctx.answer = keep_stored(answer, ctx.parts.store.existing(ids))
    return ()
