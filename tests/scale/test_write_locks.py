"""The upload/delete lock: one writer at a time across threads, processes and hosts.

`WriteLockContract` runs against the file lock (one host) and the Postgres advisory lock
(several hosts); the last tests check the lock on the real HTTP path.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from rag.errors import BackendUnavailable
from rag.factory import build_service, build_write_lock
from rag.llm.fake import FakeChatModel
from rag.locks import Busy, FileWriteLock, WriteLock
from rag.settings import ApiSettings, ConversationSettings, Settings
from tests.conftest import MemoEmbedder
from tests.scale.lock_holder import hold_until, open_postgres_lock
from tests.servers import serve_app

SPAWN = multiprocessing.get_context("spawn")
DEADLINE_S = 60.0


class WriteLockContract:
    """What every WriteLock must do. `open_lock(timeout_s)` is picklable and opens a lock on
    the same data, as another worker process or host would."""

    @pytest.fixture
    def open_lock(self) -> Callable[[float], WriteLock]:
        raise NotImplementedError

    def _child_holding(
        self, open_lock: Callable[[float], WriteLock]
    ) -> tuple[multiprocessing.process.BaseProcess, Event]:
        held, go = SPAWN.Event(), SPAWN.Event()
        child = SPAWN.Process(target=hold_until, args=(open_lock, held, go))
        child.start()
        assert held.wait(DEADLINE_S), "the child never took the lock"
        return child, go

    def test_another_process_waits_then_gets_busy(
        self, open_lock: Callable[[float], WriteLock]
    ) -> None:
        child, go = self._child_holding(open_lock)
        try:
            with pytest.raises(Busy, match="try again") as caught, open_lock(0.3).hold():
                pytest.fail("took a lock another process holds")
            assert isinstance(caught.value, BackendUnavailable)  # so HTTP answers 503
        finally:
            go.set()
            child.join(DEADLINE_S)
        assert child.exitcode == 0
        with open_lock(DEADLINE_S).hold():
            pass

    def test_a_waiter_gets_the_lock_when_the_holder_lets_go(
        self, open_lock: Callable[[float], WriteLock]
    ) -> None:
        child, go = self._child_holding(open_lock)
        got = threading.Event()

        def wait_for_it() -> None:
            with open_lock(DEADLINE_S).hold():
                got.set()

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        assert not got.is_set()
        go.set()
        waiter.join(DEADLINE_S)
        child.join(DEADLINE_S)
        assert got.is_set()

    def test_a_holder_that_dies_frees_the_lock(
        self, open_lock: Callable[[float], WriteLock]
    ) -> None:
        child, _ = self._child_holding(open_lock)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)  # a worker or host that crashed mid-upload
        child.join(DEADLINE_S)
        with open_lock(DEADLINE_S).hold():
            pass

    def test_threads_of_one_process_take_turns(
        self, open_lock: Callable[[float], WriteLock]
    ) -> None:
        lock = open_lock(DEADLINE_S)
        inside = 0
        most = 0
        count = threading.Lock()

        def write(_: int) -> None:
            nonlocal inside, most
            with lock.hold():
                with count:
                    inside += 1
                    most = max(most, inside)
                # Yield the CPU inside the lock, so overlapping holders would show.
                os.sched_yield()
                with count:
                    inside -= 1

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(write, range(60)))
        assert most == 1

    def test_a_thread_waiting_in_the_same_process_gets_busy(
        self, open_lock: Callable[[float], WriteLock]
    ) -> None:
        lock = open_lock(0.2)
        errors: list[BaseException] = []

        def second() -> None:
            try:
                with lock.hold():
                    pass
            except Busy as exc:
                errors.append(exc)

        with lock.hold():
            other = threading.Thread(target=second)
            other.start()
            other.join(DEADLINE_S)
        assert len(errors) == 1


class TestFileWriteLock(WriteLockContract):
    @pytest.fixture
    def open_lock(self, tmp_path: Path) -> Callable[[float], WriteLock]:
        return functools.partial(FileWriteLock, tmp_path / "data" / "writes.lock")


class TestPostgresWriteLock(WriteLockContract):
    @pytest.fixture
    def open_lock(self, postgres_url: str) -> Callable[[float], WriteLock]:
        return functools.partial(open_postgres_lock, postgres_url)


# --- on the HTTP path ------------------------------------------------------------------------

ARTICLE = b"Lock test article\n\nPublished 3 July 2024. Xi and Putin met in Astana.\n"


@pytest.fixture(params=["file", "postgres"])
def locked_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings whose uploads wait 0.3 s for the lock: file lock, or Postgres advisory lock."""
    conversations = ConversationSettings()
    if request.param == "postgres":
        conversations = ConversationSettings(url=request.getfixturevalue("postgres_url"))
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        api=ApiSettings(write_lock_timeout_s=0.3),
        conversations=conversations,
    )


def test_uploads_and_deletes_answer_503_while_another_host_writes(
    locked_settings: Settings, embedder: MemoEmbedder
) -> None:
    service = build_service(locked_settings, llm=FakeChatModel(), embedder=embedder)
    other_host = build_write_lock(locked_settings)  # its own file handle or connection
    files: Any = {"files": ("lock.txt", ARTICLE, "text/plain")}
    with serve_app(create_app(locked_settings, service)) as url:
        uploaded = httpx.post(f"{url}/v1/documents", files=files, timeout=30)
        assert uploaded.status_code == 200, uploaded.text
        doc_id = uploaded.json()[0]["doc_id"]
        with other_host.hold():
            busy = httpx.post(f"{url}/v1/documents", files=files, timeout=30)
            deleting = httpx.delete(f"{url}/v1/documents/{doc_id}", timeout=30)
        for response in (busy, deleting):
            assert response.status_code == 503, response.text
            assert "try again" in response.json()["detail"]
        # Nothing changed while it was refused, and the lock is free again afterwards.
        listed = httpx.get(f"{url}/v1/documents", timeout=30).json()
        assert [d["doc_id"] for d in listed] == [doc_id]
        assert httpx.delete(f"{url}/v1/documents/{doc_id}", timeout=30).status_code == 200
