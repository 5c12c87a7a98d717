"""Settle the drafted answer, with every passage it cites among its passages."""

from __future__ import annotations

import time
from collections.abc import Iterable

from rag.answer.context import AnswerContext
from rag.answer.events import Token


def finish_answer(ctx: AnswerContext) -> Iterable[Token]:
    verified = ctx.so_far
    ctx.include({c.chunk_id for c in verified.citations})
    ctx.timings["generate_s"] = time.perf_counter() - ctx.generating_since
    ctx.finish(verified)
    return ()
