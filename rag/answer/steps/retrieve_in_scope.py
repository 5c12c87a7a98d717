"""Retrieve the pool of passages, within the question's time scope."""

from __future__ import annotations

import time
from collections.abc import Iterable

from rag.answer.compose.verified import refusal
from rag.answer.context import AnswerContext
from rag.answer.events import Token
from rag.retrieval.scoped import retrieve_scoped


def retrieve_in_scope(ctx: AnswerContext) -> Iterable[Token]:
    """Sets `ctx.scope`, `ctx.pool` (the wider pool sentences are matched in) and
    `ctx.passages` (the prompt's top k); nothing retrieved finishes with a refusal."""
    t = time.perf_counter()
    settings = ctx.parts.settings
    retriever = ctx.parts.retriever
    # The same scoped retrieval as `RagService.retrieve`, so the two never disagree on
    # passages: the question's time phrases, parsed once, bound where to look and whether
    # the newest report wins.
    scoped = retrieve_scoped(
        retriever.retrieve,
        ctx.standalone,
        retriever.newest_date(),
        settings.top_k,
        settings.focus_pool,
        ctx.filters,
        ctx.as_of,
    )
    ctx.scope = scoped.scope
    if scoped.scope.found:
        ctx.notes.append(f"time scope: {scoped.scope.describe()}")
    ctx.pool = scoped.passages
    ctx.passages = ctx.pool[: settings.top_k]
    ctx.timings["retrieve_s"] = time.perf_counter() - t
    if not ctx.passages:
        ctx.finish(refusal())
    return ()
