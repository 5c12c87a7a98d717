"""What an answer stream carries: the model's tokens as they come, then one verified answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rag.types import Answer


@dataclass(frozen=True)
class Token:
    """A piece of the answer as the model writes it (before verification)."""

    text: str


@dataclass(frozen=True)
class Final:
    """The verified answer; replaces whatever the tokens spelled."""

    answer: Answer


StreamEvent = Token | Final


def final_answer(events: Iterable[StreamEvent]) -> Answer:
    """Drain a stream to its verified answer."""
    answer = None
    for event in events:
        if isinstance(event, Final):
            answer = event.answer
    if answer is None:
        raise RuntimeError("the answer stream ended without a final answer")
    return answer
