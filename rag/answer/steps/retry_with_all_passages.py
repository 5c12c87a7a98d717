"""When nothing answered from the focused passage, draft once more from the top k; else refuse."""

from __future__ import annotations

from collections.abc import Iterator

from rag.answer.compose.draft import draft
from rag.answer.compose.verified import refusal
from rag.answer.context import AnswerContext
from rag.answer.events import Token
from rag.answer.evidence.answerability import adds_answer


def retry_with_all_passages(ctx: AnswerContext) -> Iterator[Token]:
    """Runs only when `fall_back_to_quote` found nothing to quote. A draft from the one focused
    passage is retried with the several-passage prompt; a draft that already had every passage
    becomes the plain refusal. One call remains the norm: this is the exception."""
    if not ctx.declined:
        return
    verified = ctx.so_far
    if ctx.focus is None:
        ctx.verified = refusal(verified.notes)
        return
    first_notes = verified.notes
    verified = yield from draft(ctx, ctx.passages)
    # Why the first draft failed stays readable beside the second's notes.
    verified.notes[:0] = first_notes
    if verified.answered and not adds_answer(ctx.analysed, verified.text):
        ctx.notes.append(f"the draft adds nothing to the question: {verified.text!r}")
        verified = refusal(verified.notes)
    ctx.verified = verified
