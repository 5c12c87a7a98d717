"""Token usage: what each chat backend reports, how `UsageMeter` adds it up, and what an
`Answer` carries, on the real paths (a real HTTP model server on loopback, a real service)."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from rag.llm.base import UsageMeter
from rag.llm.fake import FakeChatModel
from rag.llm.openai_compat import OpenAICompatModel
from rag.llm.tokens import APPROXIMATE, approximate_usage
from rag.service import RagService
from rag.types import Message, TokenUsage, Turn
from tests.servers import LoopbackServer, chat_chunks, read_body, sse_event

MESSAGES = [Message("system", "Answer from the articles."), Message("user", "Who met in Astana?")]


class UsageServer(LoopbackServer):
    """Streams "Xi met Putin" and, when the request asks for it, a usage chunk (12 in, 3 out)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []

    def on_post(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.loads(read_body(handler))
        self.requests.append(body)
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.end_headers()
        for chunk in chat_chunks("Xi met Putin", "m"):
            handler.wfile.write(sse_event(chunk))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
            tail = {**chat_chunks("", "m")[0], "choices": [], "usage": usage}
            handler.wfile.write(sse_event(tail))
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.close_connection = True


@pytest.fixture
def usage_server() -> Iterator[UsageServer]:
    with UsageServer() as server:
        yield server


def test_openai_backend_reports_the_servers_counts(usage_server: UsageServer) -> None:
    model = OpenAICompatModel(f"{usage_server.origin}/v1", "m", None, timeout_s=10)
    meter = UsageMeter()

    assert "".join(meter.stream(model, MESSAGES, max_tokens=8)) == "Xi met Putin"
    assert usage_server.requests[0]["stream_options"] == {"include_usage": True}
    assert meter.usage == TokenUsage(12, 3)


def test_a_server_that_sends_no_usage_is_approximated(usage_server: UsageServer) -> None:
    class NoUsage(OpenAICompatModel):
        # As an older server would: the option is not understood, so nothing comes back.
        def stream(self, *args: Any, **kwargs: Any) -> Generator[str, None, TokenUsage | None]:
            yield from super().stream(*args, **kwargs)
            return None

    meter = UsageMeter()
    "".join(meter.stream(NoUsage(f"{usage_server.origin}/v1", "m", None), MESSAGES, max_tokens=8))
    assert meter.usage == approximate_usage(MESSAGES, "Xi met Putin")
    assert meter.usage.prompt_tokens > 0


def test_plain_iterator_models_are_approximated() -> None:
    class Plain:
        name = "plain"

        def stream(self, messages: Sequence[Message], **_: Any) -> Iterator[str]:
            return iter(["Xi ", "met"])

        def ping(self) -> None:
            return None

    meter = UsageMeter()
    assert "".join(meter.stream(Plain(), MESSAGES, max_tokens=8)) == "Xi met"
    assert meter.usage == TokenUsage(
        sum(APPROXIMATE.count_tokens(m.content) + 4 for m in MESSAGES), 2
    )


def test_meter_adds_calls_and_closes_an_abandoned_generation() -> None:
    closed: list[bool] = []

    class Counting:
        name = "counting"

        def stream(self, messages: Sequence[Message], **_: Any) -> Generator[str, None, TokenUsage]:
            try:
                yield "one"
                yield " two"
            finally:
                closed.append(True)
            return TokenUsage(10, 2)

        def ping(self) -> None:
            return None

    meter = UsageMeter()
    "".join(meter.stream(Counting(), MESSAGES, max_tokens=8))
    "".join(meter.stream(Counting(), MESSAGES, max_tokens=8))
    assert meter.usage == TokenUsage(20, 4)

    abandoned = meter.stream(Counting(), MESSAGES, max_tokens=8)
    assert next(abandoned) == "one"
    abandoned.close()  # a client that went away: the model's generator must be closed now
    assert closed == [True, True, True]
    assert meter.usage == TokenUsage(20, 4)


def test_answer_usage_sums_every_model_call(make_service: Callable[..., RagService]) -> None:
    answer_text = "Xi announced an additional $100 billion in loans [1]."

    def reply(messages: Sequence[Message]) -> str:
        if "Follow-up question:" in messages[-1].content:
            return "How much additional lending did Xi announce for the Belt and Road?"
        return answer_text

    service = make_service(reply)
    model = service.llm
    assert isinstance(model, FakeChatModel)
    history = [Turn("What did Xi announce for the Belt and Road?", "More lending.")]

    answer = service.ask("How much was it?", history)

    assert len(model.calls) == 2  # the rewrite, then the answer
    expected = sum(
        (approximate_usage(call, reply(call)) for call in model.calls), start=TokenUsage()
    )
    assert answer.usage == expected
    assert answer.usage.prompt_tokens > 100 and answer.usage.completion_tokens > 10


def test_code_only_answers_use_no_tokens(make_service: Callable[..., RagService]) -> None:
    service = make_service()
    answer = service.ask("What did Zorblax Quintavian say about the summit?")
    assert not answer.answered
    assert answer.usage == TokenUsage()
