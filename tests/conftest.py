"""Fixtures shared by every test folder: the real embedder, loaded once, and real services."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rag.embeddings.base import Embedder
from rag.embeddings.onnx_minilm import MiniLMEmbedder
from rag.factory import build_service, close_shared_databases
from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import Settings
from rag.types import Message
from tests.postgres import PostgresServer, start_postgres, why_unavailable

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "articles"
ASTANA = "004_d9422b366859b37e.txt"
BRI = "000_f4d4d8ba4c92511d.txt"
TASS_LIKE = "002_77e1ef7318c197bb.txt"


def add_timeouts(
    config: pytest.Config,
    items: list[pytest.Item],
    folder: Path,
    seconds: Callable[[pytest.Item], int],
) -> None:
    """Give each test under `folder` that has no timeout marker of its own `seconds(item)`:
    tests on sockets, threads and child processes must fail on a hang, not stall the run."""
    if not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if folder in item.path.parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(seconds(item)))


@contextmanager
def clean_environment() -> Iterator[None]:
    """Without the developer's RAG_*/OPENAI_*/SLACK_*/CHROMA_* variables or HTTP proxies, which
    would change what gets built and where loopback requests go (child processes too)."""
    prefixes = ("RAG_", "OPENAI_", "SLACK_", "CHROMA_")
    proxies = {"http_proxy", "https_proxy", "all_proxy"}
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(prefixes) or name.lower() in proxies:
                mp.delenv(name)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield


class MemoEmbedder:
    """The real MiniLM, remembering vectors by text.

    Many tests ingest the same sample corpus into a fresh store; embedding it again each time
    would cost seconds on 2 cores and prove nothing new. The vectors are MiniLM's own.
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._memo: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
            if missing:
                self._memo.update(zip(missing, self.inner.embed(missing), strict=True))
            return [self._memo[t] for t in texts]


@pytest.fixture(scope="session")
def embedder() -> MemoEmbedder:
    """One MiniLM for the whole run: loading it per test would dominate the suite's time."""
    return MemoEmbedder(MiniLMEmbedder())


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL for the session (started on first use, stopped at the end)."""
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's PostgreSQL; the pools that the
    factory opened on it meanwhile are closed afterwards."""
    yield postgres_server.new_database()
    close_shared_databases()


@pytest.fixture
def open_database(postgres_url: str) -> Iterator[Callable[..., Any]]:
    """Opens `rag.state.postgres.Database`s on `postgres_url`, each closed after the test
    (a pool left to the garbage collector complains from its own worker thread)."""
    from rag.state.postgres import Database

    opened: list[Database] = []

    def open_one(pool_size: int = 2, timeout_s: float = 10.0) -> Database:
        opened.append(Database(postgres_url, pool_size, timeout_s))
        return opened[-1]

    yield open_one
    for db in opened:
        db.close()


@pytest.fixture
def make_service(tmp_path: Path, embedder: MiniLMEmbedder) -> Callable[..., RagService]:
    """A service on a fresh on-disk Chroma store with the real embedder and a scripted model."""

    def make(
        reply: str | Callable[[Sequence[Message]], str] = "NOT IN ARTICLES",
        ingest: bool = True,
        **settings: object,
    ) -> RagService:
        s = Settings(data_dir=tmp_path / "data", **settings)  # type: ignore[arg-type]
        service = build_service(s, llm=FakeChatModel(reply), embedder=embedder)
        if ingest:
            service.ingest([CORPUS])
        return service

    return make
