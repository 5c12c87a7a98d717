"""The chat-model seam: messages in, a stream of text pieces out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from rag.cancellation import Cancellation
from rag.types import Message


class ChatModel(Protocol):
    """One method; `complete` is just the joined stream.

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
