"""With `RAG_CONVERSATIONS__URL` set, a process keeps one Postgres pool for all its state:
conversations, Slack event claims and the write lock, also in a forked worker."""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path

import pytest

from rag.factory import build_conversations, build_event_ledger, build_write_lock, shared_database
from rag.settings import ConversationSettings, Settings
from rag.types import Turn

DEADLINE_S = 30.0


def _settings(tmp_path: Path, url: str, pool_size: int = 2) -> Settings:
    conversations = ConversationSettings(url=url, pool_size=pool_size)
    return Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", conversations=conversations
    )


def _backends(url: str) -> int:
    """Client connections to the database at `url`, other than the one asking."""
    import psycopg

    with psycopg.connect(url) as conn:
        (n,) = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone() or (0,)
    return int(n)


def _settles_at(url: str, expected: int) -> int:
    """The connection count once it reaches `expected` (a closed connection's backend may
    take a moment to exit), or what it still is at the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while (n := _backends(url)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return n


def test_conversations_ledger_and_lock_share_one_pool(tmp_path: Path, postgres_url: str) -> None:
    # A pool of at most one connection: whatever it does, one pool keeps one open.
    settings = _settings(tmp_path, postgres_url, pool_size=1)
    conversations = build_conversations(settings)
    ledger = build_event_ledger(settings)
    lock = build_write_lock(settings)
    db = shared_database(settings)
    assert db is not None
    assert conversations._db is db  # type: ignore[attr-defined]
    assert ledger._db is db  # type: ignore[attr-defined]
    assert lock._db is db  # type: ignore[attr-defined]
    assert build_event_ledger(settings)._db is db  # type: ignore[attr-defined]

    conversations.append("c", Turn("Who met?", "Xi and Putin [1]."), [])
    assert ledger.claim("Ev1", 60.0)
    with lock.hold():  # a connection of its own while held, closed after
        pass
    # One pool served both; a pool per concept would keep two connections open.
    assert _settles_at(postgres_url, 1) == 1


def _use_in_child(settings: Settings) -> None:
    # The child inherits the parent's `Database` (and pool): the factory hands it out again,
    # and it opens a pool of its own here.
    assert not build_event_ledger(settings).claim("Ev1", 60.0)
    assert build_event_ledger(settings).claim("Ev2", 60.0)
    store = build_conversations(settings)
    store.append("c", Turn("From the child?", "Yes [1]."), [])
    sys.exit(0 if len(store.history("c")) == 2 else 1)


def test_a_forked_worker_uses_the_shared_database_on_a_pool_of_its_own(
    tmp_path: Path, postgres_url: str
) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip(f"fork is not available on {sys.platform}")
    settings = _settings(tmp_path, postgres_url)
    conversations = build_conversations(settings)  # the pool opens before the fork
    conversations.append("c", Turn("From the parent?", "Yes [1]."), [])
    assert build_event_ledger(settings).claim("Ev1", 60.0)

    child = multiprocessing.get_context("fork").Process(target=_use_in_child, args=(settings,))
    child.start()
    child.join(timeout=60)

    assert child.exitcode == 0
    # The parent's pool still works after the child used (and dropped) its own.
    assert [t.question for t in conversations.history("c")] == [
        "From the parent?",
        "From the child?",
    ]
    assert build_event_ledger(settings).state("Ev2") == "answering"
