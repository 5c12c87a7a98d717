"""Conversation history shared by several processes: many writers, no lost or doubled turns.

The shipped `ConversationStoreContract` runs against SQLite and a real PostgreSQL (started by
the `postgres_server` fixture; skipped with the reason when it cannot start); then several
`rag serve` workers share one SQLite file.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.settings import Settings, StoreSettings
from rag.state.conversations.base import ConversationStore
from rag.state.conversations.sqlite import SqliteConversationStore
from rag.testing.conversations import THREADS, ConversationStoreContract, Rows
from rag.types import Turn
from tests.conftest import BRI, CORPUS, TASS_LIKE, MemoEmbedder
from tests.scale.conftest import (
    ChromaServer,
    ServerProcess,
    StubModelServer,
)
from tests.servers import free_port


def _rows(path: Path) -> Rows:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT conversation_id, seq, question FROM turns").fetchall()


def _postgres_rows(url: str) -> Rows:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT conversation_id, seq, question FROM turns").fetchall()
    return [(str(c), int(s), str(q)) for c, s, q in rows]


def _open_postgres(url: str, max_turns: int = 6, timeout_s: float = 10.0) -> ConversationStore:
    # A module-level function, so that a spawned child can unpickle it and open its own.
    from rag.state.conversations.postgres import PostgresConversationStore
    from rag.state.postgres import Database

    return PostgresConversationStore(Database(url, THREADS, timeout_s), max_turns)


class TestSqliteConversationStore(ConversationStoreContract):
    @pytest.fixture
    def open_store(self, tmp_path: Path) -> Callable[..., ConversationStore]:
        return functools.partial(SqliteConversationStore, tmp_path / "conversations.sqlite3")

    @pytest.fixture
    def rows(self, tmp_path: Path) -> Callable[[], Rows]:
        return functools.partial(_rows, tmp_path / "conversations.sqlite3")


class TestPostgresConversationStore(ConversationStoreContract):
    @pytest.fixture
    def open_store(self, postgres_url: str) -> Callable[..., ConversationStore]:
        return functools.partial(_open_postgres, postgres_url)

    @pytest.fixture
    def rows(self, postgres_url: str) -> Callable[[], Rows]:
        return functools.partial(_postgres_rows, postgres_url)

    def test_a_restarted_database_is_used_again_without_restarting_the_app(self) -> None:
        """Its own server, since every connection to it breaks: the store's pool replaces
        them, so the request after the restart already works."""
        from tests.postgres import start_postgres

        server = start_postgres()
        try:
            store = _open_postgres(server.new_database())
            store.append("c", Turn("before", "a"), [])
            server.restart()
            store.append("c", Turn("after", "a"), [])
            assert [t.question for t in store.history("c")] == ["before", "after"]
        finally:
            server.stop()

    def test_a_database_that_is_down_is_a_clear_503(self, postgres_url: str) -> None:
        from rag.errors import BackendUnavailable

        url = postgres_url.rsplit(":", 1)[0] + f":{free_port()}/x"
        with pytest.raises(BackendUnavailable, match=r"Postgres database at .*127\.0\.0\.1"):
            _open_postgres(url, timeout_s=1.0)


def _opens_its_own(store: SqliteConversationStore, parent_connection: int) -> None:
    sys.exit(0 if id(store._connect()) != parent_connection else 1)


def test_a_forked_child_does_not_reuse_the_parents_connection(tmp_path: Path) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip(f"fork is not available on {sys.platform}")
    store = SqliteConversationStore(tmp_path / "c.sqlite3")
    child = multiprocessing.get_context("fork").Process(
        target=_opens_its_own, args=(store, id(store._connect()))
    )
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0


# --- several API workers, one conversation database ----------------------------------------

FIRST_QUESTION = "How many times have Xi and Putin met in the past ten years?"
CONVERSATIONS = 4
TURNS = 4
BURST = 8


@dataclass
class Workers:
    url: str
    data_dir: Path
    stub: StubModelServer
    process: ServerProcess

    def worker_pids(self) -> list[int]:
        log = self.process.log_tail(1_000_000)
        return [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", log)]


@pytest.fixture(scope="module")
def workers(
    chroma_server: ChromaServer,
    embedder: MemoEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workers]:
    """`rag serve --workers 2` on loopback, over the Chroma server and a stub model server.

    The corpus is ingested here first, as a deploy step would; the workers only read it.
    """
    data_dir = tmp_path_factory.mktemp("workers")
    collection = "workers-articles"
    store = StoreSettings(host=chroma_server.host, port=chroma_server.port, collection=collection)
    settings = Settings(_env_file=None, data_dir=data_dir, store=store)  # type: ignore[call-arg]
    assert build_service(settings, llm=FakeChatModel(), embedder=embedder).ingest([CORPUS]).ok
    with StubModelServer() as stub:
        env = {
            **os.environ,
            "RAG_DATA_DIR": str(data_dir),
            "RAG_STORE__HOST": chroma_server.host,
            "RAG_STORE__PORT": str(chroma_server.port),
            "RAG_STORE__COLLECTION": collection,
            "RAG_LLM__BACKEND": "openai",
            "RAG_LLM__BASE_URL": stub.base_url,
            "RAG_LLM__MODEL": "stub",
            "RAG_LLM__TIMEOUT_S": "20",
            # These tests are about what gets stored, not admission: the burst may all
            # land on one worker, which must take it rather than answer 503.
            "RAG_API__MAX_PENDING_QUESTIONS": str(2 * BURST),
        }
        url, process = _start_workers(env, data_dir)
        try:
            yield Workers(url, data_dir, stub, process)
        finally:
            process.stop()


def _start_workers(env: dict[str, str], log_dir: Path) -> tuple[str, ServerProcess]:
    last = ""
    for attempt in range(3):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = ServerProcess(
            "rag serve --workers 2",
            [sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port", str(port)],
            log_dir / f"serve-{attempt}.log",
            env=env,
        )
        server.start()

        def both_up(server: ServerProcess = server, url: str = url) -> bool:
            # Each worker builds its own service (MiniLM, Chroma client) before it listens;
            # the log says when both have started.
            ok = httpx.get(f"{url}/readyz", timeout=5.0).status_code == 200
            return ok and server.log_tail(100_000).count("Application startup complete") >= 2

        try:
            server.wait_ready(both_up, timeout_s=90)
            return url, server
        except RuntimeError as exc:
            server.stop()
            last = str(exc)
    raise RuntimeError(f"rag serve --workers 2 did not start: {last}")


def _chat(url: str, question: str, conversation_id: str | None = None) -> dict[str, Any]:
    body: dict[str, object] = {"question": question}
    if conversation_id:
        body["conversation_id"] = conversation_id
    r = httpx.post(f"{url}/v1/chat", json=body, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _cpu_ticks(pid: int) -> int | None:
    """utime + stime of a process in clock ticks (Linux); None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def test_concurrent_conversations_across_two_workers_are_stored_once_in_order(
    workers: Workers,
) -> None:
    url = workers.url
    pids = workers.worker_pids()
    assert len(pids) == 2, workers.process.log_tail()
    ticks_before = [_cpu_ticks(pid) for pid in pids]

    def conversation(n: int) -> tuple[str, list[str]]:
        first = _chat(url, FIRST_QUESTION)
        cid = str(first["conversation_id"])
        asked = [FIRST_QUESTION]
        for t in range(1, TURNS):
            question = f"And follow-up {t} of conversation {n}?"
            assert _chat(url, question, cid)["conversation_id"] == cid
            asked.append(question)
        return cid, asked

    # Several conversations at once, each one turn after another (so order is defined)...
    with ThreadPoolExecutor(CONVERSATIONS) as pool:
        chains = list(pool.map(conversation, range(CONVERSATIONS)))
    # ...and one conversation hit by a burst of simultaneous follow-ups, whose order is
    # whatever the workers commit; each must still land exactly once with its own seq.
    burst_cid = str(_chat(url, FIRST_QUESTION)["conversation_id"])
    burst = [f"Burst question {i}?" for i in range(BURST)]
    with ThreadPoolExecutor(BURST) as pool:
        list(pool.map(lambda q: _chat(url, q, burst_cid), burst))

    rows = _rows(workers.data_dir / "conversations.sqlite3")
    for cid, asked in chains:
        stored = [q for c, _, q in sorted(rows, key=lambda r: r[1]) if c == cid]
        assert stored == asked
        assert sorted(s for c, s, _ in rows if c == cid) == list(range(1, TURNS + 1))
    burst_rows = sorted((s, q) for c, s, q in rows if c == burst_cid)
    assert [s for s, _ in burst_rows] == list(range(1, BURST + 2))
    assert burst_rows[0][1] == FIRST_QUESTION
    assert sorted(q for _, q in burst_rows[1:]) == sorted(burst)
    assert len(rows) == CONVERSATIONS * TURNS + BURST + 1

    # Every follow-up was condensed with the history stored before it, whichever worker
    # wrote it: the previous question is in the prompt the stub received.
    prompts = [r["messages"][-1]["content"] for r in workers.stub.requests]
    condense = [p for p in prompts if "Follow-up question:" in p]
    for _, asked in chains:
        for before, question in itertools.pairwise(asked):
            prompt = next(p for p in condense if f"Follow-up question: {question}" in p)
            assert f"User: {before}" in prompt

    log = workers.process.log_tail(1_000_000)
    assert "database is locked" not in log
    assert "Traceback" not in log
    # Both workers did real work (the kernel spreads connections over them), so the history
    # really crossed processes. Each request costs a MiniLM query embedding and more.
    ticks_after = [_cpu_ticks(pid) for pid in pids]
    busy = [
        after - before
        for before, after in zip(ticks_before, ticks_after, strict=True)
        if before is not None and after is not None
    ]
    assert all(b >= 3 for b in busy), f"one worker stayed idle: CPU ticks used {busy}"


def test_answers_from_the_workers_are_verified_against_the_corpus(workers: Workers) -> None:
    body = _chat(workers.url, FIRST_QUESTION)
    assert "42" in body["answer"]
    assert body["citations"]
    assert {c["source"] for c in body["citations"]} <= {TASS_LIKE, BRI}
    assert all("42" in c["quote"] for c in body["citations"])
