"""The chat-model seam: messages in, a stream of text pieces out."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import Protocol

from rag.cancellation import Cancellation
from rag.llm.tokens import approximate_usage
from rag.types import Message, TokenUsage


class ChatModel(Protocol):
    """One method; `complete` is just the joined stream.

    A model whose backend counts tokens writes `stream` as a generator that *returns* a
    `TokenUsage` when done (`return usage`); `metered` reads it, and approximates for models
    that return nothing.

    `cancel`, when given and set, ends the call with `QuestionCancelled`: before generating
    (a model that runs one call at a time checks it while the call waits its turn) and between
    pieces, so an abandoned question stops using the model.

    >>> "".join(model.stream([Message("user", "Say hi")], max_tokens=8))
    'Hi!'
    """

    name: str

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Iterator[str]: ...

    def ping(self) -> None: ...


def complete(model: ChatModel, messages: Sequence[Message], *, max_tokens: int) -> str:
    return "".join(model.stream(messages, max_tokens=max_tokens))


class UsageMeter:
    """Adds up what the model calls for one answer read and wrote.

    >>> meter = UsageMeter()
    >>> text = "".join(meter.stream(model, messages, max_tokens=8))
    >>> meter.usage
    TokenUsage(prompt_tokens=31, completion_tokens=3)
    """

    def __init__(self) -> None:
        self.usage = TokenUsage()

    def stream(
        self,
        model: ChatModel,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Generator[str, None, None]:
        pieces: list[str] = []
        inner = iter(
            model.stream(messages, max_tokens=max_tokens, temperature=temperature, cancel=cancel)
        )
        try:
            while True:
                try:
                    piece = next(inner)
                except StopIteration as done:
                    # A generator's `return usage` arrives here; a plain iterator gives None.
                    reported = done.value
                    break
                pieces.append(piece)
                yield piece
        finally:
            # A consumer that stops early must not leave the model's generator (and the lock
            # a local model holds while it generates) to the garbage collector.
            close = getattr(inner, "close", None)
            if close is not None:
                close()
        usage = (
            reported
            if isinstance(reported, TokenUsage)
            else approximate_usage(messages, "".join(pieces))
        )
        self.usage = self.usage + usage
