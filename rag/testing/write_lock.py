"""`WriteLockContract`: what every `WriteLock` (rag/state/write_lock) must do.

Subclass it and define `open_lock(timeout_s)`: a picklable callable (a module-level function
or a `functools.partial` of one) that opens a lock on the same data, as another worker process
or host would; spawned child processes call it to hold the lock:

    class TestMyLock(WriteLockContract):
        @pytest.fixture
        def open_lock(self, tmp_path: Path) -> Callable[[float], WriteLock]:
            return functools.partial(MyLock, tmp_path / "writes")
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Event

import pytest

from rag.errors import BackendUnavailable
from rag.state.write_lock.base import Busy, WriteLock
from rag.testing.lock_holder import DEADLINE_S, hold_until

SPAWN = multiprocessing.get_context("spawn")


class WriteLockContract:
    """What every WriteLock must do. `open_lock(timeout_s)` is picklable and opens a lock on
    the same data, as another worker process or host would."""

    @pytest.fixture
    def open_lock(self) -> Callable[[float], WriteLock]:
        raise NotImplementedError("define `open_lock(timeout_s)`: a lock on the same data")

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
