"""Match every sentence of the pool against the question and pick the passage that answers."""

from __future__ import annotations

from collections.abc import Iterable

from rag.answer.context import AnswerContext
from rag.answer.events import Token
from rag.answer.evidence.latest import newest_answering
from rag.answer.evidence.matching import SentenceMatch

# Share of a question's words one sentence must hold for the one-passage prompt to be used.
FOCUS_MIN_COVERAGE = 0.6


def pick_focus(ctx: AnswerContext) -> Iterable[Token]:
    """Sets `ctx.matches`, `ctx.focus`, `ctx.newest` and `ctx.quotable`.

    Sentence-level matching runs over a wider pool than the prompt takes: a chunk ranked fifth
    may hold the one sentence that answers. Names count as present when their article has them
    anywhere (the forum named in paragraph one)."""
    ctx.matches = ctx.pool_matches()
    ctx.focus = focus(ctx.matches)
    ctx.quotable = ctx.matches
    if ctx.time_scope.latest:
        ctx.newest = newest_answering(ctx.analysed, ctx.pool, ctx.matches, ctx.judge.answers)
    if ctx.newest is not None:
        # "Latest": of the articles that answer, the newest one answers.
        ctx.focus = ctx.newest
        ctx.quotable = [m for m in ctx.matches if m.passage_index == ctx.newest]
    if ctx.focus is not None and ctx.pool[ctx.focus] not in ctx.passages:
        ctx.passages = [*ctx.passages, ctx.pool[ctx.focus]]
    return ()


def focus(matches: list[SentenceMatch]) -> int | None:
    """The passage holding a sentence that names all the question's names and most of its
    other words; None when no sentence comes close (likely unanswerable)."""
    best = max((m for m in matches if m.has_all_names), key=lambda m: m.score, default=None)
    if best is None or best.coverage < FOCUS_MIN_COVERAGE:
        return None
    return best.passage_index
