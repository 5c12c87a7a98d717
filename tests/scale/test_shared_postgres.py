"""Two API hosts share one Postgres and one Chroma server: a conversation goes on anywhere.

Each "host" is a real `rag serve` process with a data folder of its own (so nothing is shared
through the file system), pointing at the same Chroma server, the same PostgreSQL (started by
the tests) and a stub OpenAI-compatible model server. With SQLite, host B answers 404 for a
conversation that host A began; with `RAG_CONVERSATIONS__URL` it continues it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.settings import LLMSettings, Settings, StoreSettings
from tests.conftest import CORPUS, MemoEmbedder
from tests.postgres import PostgresServer
from tests.scale.conftest import ChromaServer, ServerProcess, StubModelServer
from tests.servers import free_port, serve_app

FIRST_QUESTION = "How many times have Xi and Putin met in the past ten years?"
CONVERSATIONS = 4
TURNS = 4
BURST = 8
# Two `rag serve` processes start (MiniLM, Chroma client each) before the first test: more
# than the folder's default 120 s on a busy 2-core box.
pytestmark = pytest.mark.timeout(300)


@dataclass
class Hosts:
    urls: list[str]
    database_url: str
    stub: StubModelServer
    processes: list[ServerProcess]

    def logs(self) -> str:
        return "\n".join(p.log_tail(1_000_000) for p in self.processes)


def _start_host(env: dict[str, str], log_dir: Path, name: str) -> tuple[str, ServerProcess]:
    last = ""
    for attempt in range(3):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = ServerProcess(
            f"rag serve ({name})",
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            log_dir / f"serve-{name}-{attempt}.log",
            env=env,
        )
        server.start()

        def up(server: ServerProcess = server, url: str = url) -> bool:
            ok = httpx.get(f"{url}/readyz", timeout=5.0).status_code == 200
            return ok and "Application startup complete" in server.log_tail(100_000)

        try:
            server.wait_ready(up, timeout_s=90)
            return url, server
        except RuntimeError as exc:
            server.stop()
            last = str(exc)
    raise RuntimeError(f"rag serve ({name}) did not start: {last}")


def _env(base: dict[str, str], data_dir: Path, **extra: str) -> dict[str, str]:
    return {**base, "RAG_DATA_DIR": str(data_dir), **extra}


@pytest.fixture(scope="module")
def shared_env(
    chroma_server: ChromaServer,
    embedder: MemoEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, str], StubModelServer]]:
    """What both hosts are given: the Chroma collection (ingested once, as a deploy step
    would) and the stub model server."""
    import os

    collection = "two-hosts-articles"
    store = StoreSettings(host=chroma_server.host, port=chroma_server.port, collection=collection)
    ingest_dir = tmp_path_factory.mktemp("ingest")
    settings = Settings(_env_file=None, data_dir=ingest_dir, store=store)  # type: ignore[call-arg]
    assert build_service(settings, llm=FakeChatModel(), embedder=embedder).ingest([CORPUS]).ok
    with StubModelServer() as stub:
        env = {
            **os.environ,
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
        yield env, stub


@pytest.fixture(scope="module")
def hosts(
    shared_env: tuple[dict[str, str], StubModelServer],
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Hosts]:
    env, stub = shared_env
    database_url = postgres_server.new_database()

    def start(name: str) -> tuple[str, ServerProcess]:
        data_dir = tmp_path_factory.mktemp(f"host-{name}")
        return _start_host(_env(env, data_dir, RAG_CONVERSATIONS__URL=database_url), data_dir, name)

    # Both at once, as hosts would boot: their schema set-up races on the same database.
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(start, name) for name in ("a", "b")]
    started = [f.result() for f in futures if f.exception() is None]
    try:
        assert len(started) == 2, [str(f.exception()) for f in futures if f.exception()]
        yield Hosts([u for u, _ in started], database_url, stub, [p for _, p in started])
    finally:
        for _, process in started:
            process.stop()


def _chat(url: str, question: str, conversation_id: str | None = None) -> httpx.Response:
    body: dict[str, object] = {"question": question}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return httpx.post(f"{url}/v1/chat", json=body, timeout=60)


def _answer(url: str, question: str, conversation_id: str | None = None) -> dict[str, Any]:
    r = _chat(url, question, conversation_id)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _stored(database_url: str) -> list[tuple[str, int, str]]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT conversation_id, seq, question FROM turns").fetchall()
    return [(str(c), int(s), str(q)) for c, s, q in rows]


def _condensed_after(stub: StubModelServer, question: str) -> str:
    """The condense prompt the stub got for `question`: it holds the history it was given."""
    prompts = [r["messages"][-1]["content"] for r in list(stub.requests)]
    matches = [p for p in prompts if f"Follow-up question: {question}" in p]
    assert len(matches) == 1, f"{len(matches)} condense prompts for {question!r}"
    return matches[0]


def test_a_follow_up_on_the_other_host_sees_the_history(hosts: Hosts) -> None:
    a, b = hosts.urls
    first = _answer(a, FIRST_QUESTION)
    cid = str(first["conversation_id"])
    assert "42" in first["answer"]

    follow_up = "And where did they meet last, host B?"
    second = _answer(b, follow_up, cid)
    assert second["conversation_id"] == cid
    assert f"User: {FIRST_QUESTION}" in _condensed_after(hosts.stub, follow_up)

    third = "And before that, host A?"
    _answer(a, third, cid)
    prompt = _condensed_after(hosts.stub, third)
    assert f"User: {FIRST_QUESTION}" in prompt
    assert f"User: {follow_up}" in prompt

    rows = sorted((s, q) for c, s, q in _stored(hosts.database_url) if c == cid)
    assert rows == [(1, FIRST_QUESTION), (2, follow_up), (3, third)]
    # An id neither host has seen is still a 404 on both.
    for url in (a, b):
        assert _chat(url, "Hello?", "0" * 32).status_code == 404


def test_concurrent_conversations_alternating_hosts_are_stored_once_in_order(
    hosts: Hosts,
) -> None:
    def conversation(n: int) -> tuple[str, list[str]]:
        cid = str(_answer(hosts.urls[n % 2], FIRST_QUESTION)["conversation_id"])
        asked = [FIRST_QUESTION]
        for t in range(1, TURNS):
            question = f"And host-hopping follow-up {t} of conversation {n}?"
            assert _answer(hosts.urls[(n + t) % 2], question, cid)["conversation_id"] == cid
            asked.append(question)
        return cid, asked

    with ThreadPoolExecutor(CONVERSATIONS) as pool:
        chains = list(pool.map(conversation, range(CONVERSATIONS)))
    # One conversation hit by simultaneous follow-ups on both hosts: each lands exactly once.
    burst_cid = str(_answer(hosts.urls[0], FIRST_QUESTION)["conversation_id"])
    burst = [f"Two-host burst question {i}?" for i in range(BURST)]
    with ThreadPoolExecutor(BURST) as pool:
        list(pool.map(lambda i: _answer(hosts.urls[i % 2], burst[i], burst_cid), range(BURST)))

    rows = _stored(hosts.database_url)
    for cid, asked in chains:
        assert [q for c, _, q in sorted(rows, key=lambda r: r[1]) if c == cid] == asked
        assert sorted(s for c, s, _ in rows if c == cid) == list(range(1, TURNS + 1))
    burst_rows = sorted((s, q) for c, s, q in rows if c == burst_cid)
    assert [s for s, _ in burst_rows] == list(range(1, BURST + 2))
    assert sorted(q for _, q in burst_rows[1:]) == sorted(burst)

    logs = hosts.logs()
    assert "Traceback" not in logs
    assert 'POST /v1/chat HTTP/1.1" 200' in hosts.processes[0].log_tail(1_000_000)
    assert 'POST /v1/chat HTTP/1.1" 200' in hosts.processes[1].log_tail(1_000_000)


def test_without_the_shared_database_the_other_host_does_not_know_the_conversation(
    shared_env: tuple[dict[str, str], StubModelServer],
    embedder: MemoEmbedder,
    tmp_path: Path,
) -> None:
    """The control: SQLite per data folder, as before. This is what the URL fixes. (Two apps
    under uvicorn in this process, not two `rag serve`: only the data folders matter here.)"""
    env, stub = shared_env
    store = StoreSettings(
        host=env["RAG_STORE__HOST"],
        port=int(env["RAG_STORE__PORT"]),
        collection=env["RAG_STORE__COLLECTION"],
    )
    llm = LLMSettings(backend="openai", base_url=stub.base_url, model="stub")
    apps = []
    for name in ("a", "b"):
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=tmp_path / name, store=store, llm=llm
        )
        apps.append(create_app(settings, build_service(settings, embedder=embedder)))
    with serve_app(apps[0]) as a, serve_app(apps[1]) as b:
        cid = str(_answer(a, FIRST_QUESTION)["conversation_id"])
        assert _chat(b, "And then?", cid).status_code == 404
        assert _chat(a, "And then?", cid).status_code == 200
