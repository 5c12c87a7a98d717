"""Answer in code what code can work out: days between two events, a date the passages settle."""

from __future__ import annotations

import time
from collections.abc import Iterable

from rag.answer.compose.computed import computed_answer
from rag.answer.context import AnswerContext
from rag.answer.events import Token


def compute_in_code(ctx: AnswerContext) -> Iterable[Token]:
    """Subtraction and solved dates are code's job: the dates come from their passages and the
    model never sees the question. Also where generating starts (`generate_s`)."""
    ctx.generating_since = time.perf_counter()
    computed = computed_answer(ctx.standalone, ctx.pool, ctx.dates, ctx.judge.answers)
    if computed is not None:
        ctx.include({c.chunk_id for c in computed.citations})
        ctx.finish(computed)
    return ()
