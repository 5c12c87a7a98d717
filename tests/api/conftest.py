"""Shared fixtures for the HTTP API tests: real MiniLM + Chroma services, a scripted chat model,
a real uvicorn server on loopback, and a scriptable OpenAI-compatible backend to break on purpose.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from rag.cancellation import Cancellation
from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.base import ChatModel
from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import PROJECT_ROOT, ApiSettings, Settings
from rag.types import Message
from tests.conftest import add_timeouts, clean_environment
from tests.servers import (
    LoopbackServer,
    chat_chunks,
    models_listing,
    read_body,
    send_json,
    serve_app,
    sse_event,
    stream_chat_completion,
)

ARTICLES = PROJECT_ROOT / "data" / "articles"
LENDING_SOURCE = "000_f4d4d8ba4c92511d.txt"
LENDING_QUESTION = "How much additional lending did Xi announce for the Belt and Road?"
FOLLOW_UP = "Which banks will provide it?"
REWRITTEN = "Which banks will provide the additional $100 billion of Belt and Road lending?"
# The figure is in the lending passage, so the real citation verifier keeps the claim and [1].
LENDING_ANSWER = "Xi announced an additional $100 billion in loans [1]."
API_KEY = "test-key-3f9a"


def scripted_reply(messages: Sequence[Message]) -> str:
    """Stands in for the model: rewrites follow-ups, answers only when the figure was retrieved."""
    prompt = messages[-1].content
    if "Follow-up question:" in prompt:
        return REWRITTEN
    if "$100 billion" in prompt:
        return LENDING_ANSWER
    return "NOT IN ARTICLES"


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs from a server-sent-events body."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    add_timeouts(config, items, Path(__file__).parent, lambda item: 60)


@pytest.fixture(scope="package", autouse=True)
def _isolated_environment() -> Iterator[None]:
    with clean_environment():
        yield


ServiceFactory = Callable[..., tuple[RagService, Settings]]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings that ignore any `.env` in the working folder."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def service_factory(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Callable[..., tuple[RagService, Settings]]:
    """Build a service on a fresh data dir with the sample corpus ingested."""

    def make(
        llm: ChatModel | None = None, *, ingest: bool = True, **overrides: Any
    ) -> tuple[RagService, Settings]:
        settings = make_settings(tmp_path_factory.mktemp("rag"), **overrides)
        service = build_service(
            settings, llm=llm or FakeChatModel(scripted_reply), embedder=embedder
        )
        if ingest:
            report = service.ingest([ARTICLES])
            assert report.ok, report.failed
        return service, settings

    return make


@dataclass
class Corpus:
    """A service over the sample corpus that read-only tests share, with its scripted model."""

    service: RagService
    settings: Settings
    llm: FakeChatModel

    def app(self, **api: Any) -> FastAPI:
        """A new app over the shared service; `api` overrides ApiSettings (key, limits)."""
        settings = self.settings.model_copy(update={"api": ApiSettings(**api)})
        return create_app(settings, self.service)


@pytest.fixture(scope="package")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Corpus:
    llm = FakeChatModel(scripted_reply)
    settings = make_settings(tmp_path_factory.mktemp("corpus"))
    service = build_service(settings, llm=llm, embedder=embedder)
    assert service.ingest([ARTICLES]).ok
    return Corpus(service, settings, llm)


@pytest.fixture
def client(corpus: Corpus) -> Iterator[TestClient]:
    with TestClient(corpus.app()) as c:
        yield c


class GatedModel:
    """Writes its first word, then waits for the test before writing the rest."""

    name = "gated"

    def __init__(self) -> None:
        self.gate = threading.Event()

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Iterator[str]:
        words = scripted_reply(messages).split(" ")
        yield words[0]
        self.gate.wait(10)
        for word in words[1:]:
            yield " " + word

    def ping(self) -> None:
        return None


# --- a real server on loopback ------------------------------------------------------------


@pytest.fixture(scope="package")
def live_url(corpus: Corpus) -> Iterator[str]:
    """The shared corpus service behind a real uvicorn server, without an API key."""
    with serve_app(corpus.app()) as url:
        yield url


# --- a scriptable OpenAI-compatible model server ------------------------------------------


class FakeBackend(LoopbackServer):
    """A tiny OpenAI-compatible server on loopback whose behaviour a test switches.

    mode "ok" streams `reply` like a real server, "error" answers HTTP 500, "slow" sleeps
    `sleep_s` before answering, to trip the client's timeout, and "cut" drops the connection
    after the first two words of the reply.
    """

    def __init__(self, reply: str = LENDING_ANSWER, sleep_s: float = 5.0, port: int = 0) -> None:
        super().__init__(port)
        self.mode = "ok"
        self.reply = reply
        self.sleep_s = sleep_s
        self.base_url = f"{self.origin}/v1"
        self._release = threading.Event()

    def on_get(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer `/v1/models` as the current mode says."""
        self._answer(handler, models_listing("fake"))

    def on_post(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer a chat completion as the current mode says."""
        read_body(handler)
        self._answer(handler, None)

    def stop(self) -> None:
        """Wake any "slow" handler, then stop serving."""
        self._release.set()
        super().stop()

    def _answer(self, handler: BaseHTTPRequestHandler, listing: dict[str, Any] | None) -> None:
        if self.mode == "slow":
            # Returns early at teardown, so a sleeping handler never outlives the test.
            self._release.wait(self.sleep_s)
        if self.mode == "error":
            send_json(handler, {"error": {"message": "boom", "type": "server_error"}}, status=500)
            return
        if listing is not None:
            send_json(handler, listing)
            return
        if self.mode == "cut":
            self._cut(handler)
            return
        stream_chat_completion(handler, self.reply, model="fake")

    def _cut(self, handler: BaseHTTPRequestHandler) -> None:
        # Chunked HTTP/1.1, closed before the terminating chunk: the client sees a broken body,
        # as when a model server dies mid-answer (HTTP/1.0 would read as a complete response).
        handler.protocol_version = "HTTP/1.1"
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("transfer-encoding", "chunked")
        handler.end_headers()
        for chunk in chat_chunks(self.reply, model="fake")[:2]:
            frame = sse_event(chunk)
            handler.wfile.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
        handler.wfile.flush()
        handler.close_connection = True


@pytest.fixture
def fake_backend() -> Iterator[FakeBackend]:
    with FakeBackend() as backend:
        yield backend
