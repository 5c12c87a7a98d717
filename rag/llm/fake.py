"""A scripted chat model for tests and load benchmarks: same interface, no weights."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence

from rag.cancellation import Cancellation
from rag.llm.tokens import approximate_usage
from rag.types import Message, TokenUsage

Script = Callable[[Sequence[Message]], str]


class FakeChatModel:
    """Answers with `script(messages)` (or a fixed reply), streamed word by word; reports
    usage in approximate tokens, as a backend that counts would."""

    name = "fake"

    def __init__(self, reply: str | Script = "I don't know.", delay_s: float = 0.0) -> None:
        self._reply = reply
        self._delay_s = delay_s
        self.calls: list[list[Message]] = []

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Generator[str, None, TokenUsage]:
        if cancel is not None:
            cancel.raise_if_cancelled()
        self.calls.append(list(messages))
        text = self._reply(messages) if callable(self._reply) else self._reply
        for i, word in enumerate(text.split(" ")):
            if self._delay_s:
                time.sleep(self._delay_s)
            if cancel is not None:
                cancel.raise_if_cancelled()
            yield word if i == 0 else " " + word
        return approximate_usage(messages, text)

    def ping(self) -> None:
        return None
