"""The chat-model seam: messages in, a stream of text pieces out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from rag.types import Message


class ChatModel(Protocol):
    """One method; `complete` is just the joined stream.

    >>> "".join(model.stream([Message("user", "Say hi")], max_tokens=8))
    'Hi!'
    """

    name: str

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float = 0.0
    ) -> Iterator[str]: ...

    def ping(self) -> None: ...


def complete(model: ChatModel, messages: Sequence[Message], *, max_tokens: int) -> str:
    return "".join(model.stream(messages, max_tokens=max_tokens))
