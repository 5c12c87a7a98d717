"""Conversation history shared by several processes: many writers, no lost or doubled turns.

`ConversationStoreContract` is written once and runs against SQLite and a real PostgreSQL
(started by the `postgres_server` fixture; skipped with the reason when it cannot start).
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

from rag.conversations import ConversationStore, SqliteConversationStore
from rag.errors import NotFound
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.settings import Settings, StoreSettings
from rag.types import Turn
from tests.conftest import BRI, CORPUS, TASS_LIKE, MemoEmbedder
from tests.scale.conftest import (
    ChromaServer,
    ServerProcess,
    StubModelServer,
)
from tests.servers import free_port

PROCESSES = 4
THREADS = 3
APPENDS = 15  # per thread

Rows = list[tuple[str, int, str]]


def _hammer(open_store: Callable[[], ConversationStore], worker: int, store: Any) -> None:
    """Runs in a child process: several threads append turns to the same conversations."""
    store = store or open_store()

    def one_thread(thread: int) -> None:
        for i in range(APPENDS):
            # Two shared conversations take contended writes; the label makes every turn
            # unique, so a lost or repeated insert shows up as a wrong multiset.
            conversation = "shared-a" if i % 2 else "shared-b"
            store.append(conversation, Turn(f"q {worker}.{thread}.{i}", "a"), [])

    with ThreadPoolExecutor(THREADS - 1) as pool:
        futures = [pool.submit(one_thread, t) for t in range(1, THREADS)]
        one_thread(0)  # the main thread too: with fork, that is where the inherited state is
        for f in futures:
            f.result()


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
    from rag.postgres.conversations import PostgresConversationStore
    from rag.postgres.database import Database

    return PostgresConversationStore(Database(url, THREADS, timeout_s), max_turns)


class ConversationStoreContract:
    """What every ConversationStore must do. A subclass provides `open_store`: a picklable
    callable that opens another store over the same data, as another process or host would,
    and `rows`: every stored (conversation_id, seq, question)."""

    @pytest.fixture
    def open_store(self) -> Callable[..., ConversationStore]:
        raise NotImplementedError

    @pytest.fixture
    def rows(self) -> Callable[[], Rows]:
        raise NotImplementedError

    def test_an_unknown_conversation_has_no_history_and_is_not_found(
        self, open_store: Callable[..., ConversationStore]
    ) -> None:
        store = open_store()
        cid = store.new_id()
        assert store.history(cid) == []
        assert not store.exists(cid)
        with pytest.raises(NotFound, match=cid):
            store.require(cid)

    def test_ids_are_new_each_time(self, open_store: Callable[..., ConversationStore]) -> None:
        store = open_store()
        assert len({store.new_id() for _ in range(100)}) == 100

    def test_history_is_the_last_turns_oldest_first(
        self, open_store: Callable[..., ConversationStore]
    ) -> None:
        store = open_store(max_turns=3)
        for i in range(5):
            store.append("c1", Turn(f"q{i}", f"a{i}"), [{"n": 1, "source": "x.txt"}])
        store.append("c2", Turn("other", "other"), [])
        assert store.history("c1") == [Turn(f"q{i}", f"a{i}") for i in (2, 3, 4)]
        assert store.exists("c1")
        store.require("c1")

    def test_another_store_on_the_same_data_sees_the_turns_at_once(
        self, open_store: Callable[..., ConversationStore]
    ) -> None:
        """Another worker or host: a follow-up may land anywhere."""
        first, second = open_store(), open_store()
        first.append("c", Turn("Who met?", "Xi and Putin [1]."), [])
        assert second.exists("c")
        second.append("c", Turn("When?", "In July [1]."), [])
        assert [t.question for t in first.history("c")] == ["Who met?", "When?"]

    def test_text_round_trips_unchanged(self, open_store: Callable[..., ConversationStore]) -> None:
        store = open_store()
        odd = "Quotes ' \" ; -- DROP TABLE turns; émigré 北京 \\ %s %(x)s"
        store.append("c", Turn(odd, odd), [{"quote": odd}])
        assert open_store().history("c") == [Turn(odd, odd)]

    @pytest.mark.parametrize("start_method", ["spawn", "fork"])
    def test_appends_from_many_processes_and_threads_keep_every_turn_once(
        self,
        open_store: Callable[..., ConversationStore],
        rows: Callable[[], Rows],
        start_method: str,
    ) -> None:
        if start_method not in multiprocessing.get_all_start_methods():
            pytest.skip(f"{start_method} is not available on {sys.platform}")
        parent = open_store()
        parent.append("shared-a", Turn("first", "a"), [])  # the parent holds an open connection
        ctx = (
            multiprocessing.get_context("fork")
            if start_method == "fork"
            else multiprocessing.get_context("spawn")
        )
        # With fork the children inherit the parent's store object, open connection
        # included, as with a server that forks workers after building the app (gunicorn
        # --preload); the store must notice and open a connection of its own in each child.
        inherited = parent if start_method == "fork" else None
        procs = [
            ctx.Process(target=_hammer, args=(open_store, w, inherited)) for w in range(PROCESSES)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=90)
        assert [p.exitcode for p in procs] == [0] * PROCESSES

        stored = rows()
        questions = [q for _, _, q in stored]
        want = {
            f"q {w}.{t}.{i}"
            for w in range(PROCESSES)
            for t in range(THREADS)
            for i in range(APPENDS)
        } | {"first"}
        assert len(questions) == len(set(questions)) == len(want)
        assert set(questions) == want
        for conversation in ("shared-a", "shared-b"):
            ordered = [q for cid, _, q in sorted(stored, key=lambda r: r[1]) if cid == conversation]
            seqs = sorted(seq for cid, seq, _ in stored if cid == conversation)
            assert seqs == list(range(1, len(seqs) + 1)), f"gaps or repeats in {conversation}"
            # Each thread's turns keep the order that thread wrote them in.
            for w in range(PROCESSES):
                for t in range(THREADS):
                    mine = [
                        int(q.rsplit(".", 1)[1]) for q in ordered if q.startswith(f"q {w}.{t}.")
                    ]
                    assert mine == sorted(mine)
        # The parent's own connection still works after the children wrote.
        assert parent.history("shared-a")[-1].question.startswith("q ")


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
