"""Refuse, without the model, a question naming something no article mentions."""

from __future__ import annotations

from collections.abc import Iterable

from rag.answer.compose.verified import REFUSAL_TEXT, refusal
from rag.answer.context import AnswerContext
from rag.answer.events import Token


def refuse_unknown_names(ctx: AnswerContext) -> Iterable[Token]:
    """No article names it, so none can answer: say so now instead of spending seconds of
    model time on a refusal the small model might not even make."""
    missing = ctx.parts.retriever.unknown_names(ctx.standalone)
    if missing:
        text = f"{REFUSAL_TEXT[:-1]}: none of them mentions {and_list(missing)}."
        note = f"not in any article: {', '.join(missing)}"
        ctx.finish(refusal([note], text))
    return ()


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
