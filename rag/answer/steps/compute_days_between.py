"""Answer "how many days between A and B" by subtraction in code."""

from __future__ import annotations

import time
from collections.abc import Iterable

from rag.answer.context import AnswerContext
from rag.answer.date_arithmetic import days_between
from rag.answer.events import Token


def compute_days_between(ctx: AnswerContext) -> Iterable[Token]:
    """Subtraction is code's job: both dates come from their passages, the model never sees
    the question. Also where generating starts (`generate_s`)."""
    ctx.generating_since = time.perf_counter()
    computed = days_between(ctx.standalone, ctx.pool)
    if computed is not None:
        ctx.include({c.chunk_id for c in computed.citations})
        ctx.finish(computed)
    return ()
