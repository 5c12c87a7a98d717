"""One model draft: the prompt, the streamed tokens (the refusal marker held back), the date
repaired in code, the claims verified against the passages. Used by `draft_answer` and by
`retry_with_all_passages`."""

from __future__ import annotations

import time
from collections.abc import Generator
from contextlib import closing

from rag.answer.compose.claims import supported_claims
from rag.answer.compose.excerpts import trim_to_question
from rag.answer.compose.verified import REFUSAL_MARKER, Verified
from rag.answer.compose.verify import verify_answer
from rag.answer.context import AnswerContext
from rag.answer.events import Token
from rag.answer.evidence import date_solver
from rag.types import Message, Passage


def draft(
    ctx: AnswerContext, passages: list[Passage], template: str = "answer_user"
) -> Generator[Token, None, Verified]:
    """Generate a draft from `passages` (streaming its tokens), then fix dates and citations in
    code; returns what survived verification."""
    parts = ctx.parts
    settings = parts.settings
    dated = ctx.dates.solve(passages)
    excerpts = [
        trim_to_question(p.chunk.annotated, ctx.terms, settings.excerpt_chars) for p in passages
    ]
    user_prompt = parts.prompts.render(
        template, passages=passages, excerpts=excerpts, question=ctx.standalone, date_hint=dated
    )
    messages = [
        Message("system", parts.prompts.render("answer_system")),
        Message("user", user_prompt),
    ]
    pieces: list[str] = []
    sending = False  # held back while the draft could still be the refusal marker
    model_stream = ctx.meter.stream(
        parts.llm(),
        messages,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        cancel=ctx.cancel,
    )
    # Closed explicitly: a stream abandoned at a `yield` below still holds the model's turn.
    with closing(model_stream):
        for piece in model_stream:
            pieces.append(piece)
            if sending:
                yield Token(piece)
            elif not may_become_refusal("".join(pieces)):
                sending = True
                ctx.timings.setdefault("first_token_s", time.perf_counter() - ctx.started)
                yield Token("".join(pieces))
    text = "".join(pieces)
    ctx.notes.append(f"model draft: {text.strip()!r}")
    if dated is not None:
        repaired = date_solver.apply(text, dated)
        if repaired != text:
            ctx.notes.append(f"date set in code from passage [{dated.passage_index + 1}]")
        text = repaired
    t = time.perf_counter()
    verified = supported_claims(verify_answer(text, passages), passages, ctx.judge)
    ctx.timings["verify_s"] = ctx.timings.get("verify_s", 0.0) + time.perf_counter() - t
    return verified


def may_become_refusal(draft: str) -> bool:
    """Whether the draft is (so far) the model's refusal marker: a client never sees
    "NOT IN ARTICLES" flash up before the next try or the plain refusal replaces it."""
    text = draft.strip().upper()
    return REFUSAL_MARKER.startswith(text) or text.startswith(REFUSAL_MARKER)
