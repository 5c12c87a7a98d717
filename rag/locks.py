"""One writer at a time for uploads and deletes: across threads, processes and hosts.

Storing a document and writing its file are one step: two uploads of one name that interleave
would leave the store holding one version and the upload folder the other. `FileWriteLock`
covers every worker of one host (SQLite mode); `PostgresWriteLock` (in `rag.postgres.locks`)
covers every host that shares the database.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from rag.errors import BackendUnavailable


class Busy(BackendUnavailable):
    """Another writer held the lock for longer than the caller waits (HTTP 503; try again)."""


class WriteLock(Protocol):
    """A lock that every process writing the same store honours.

    >>> with lock.hold():
    ...     service.add_document(data, name)

    `hold()` raises `Busy` when the lock is not free within the lock's timeout.
    """

    def hold(self) -> AbstractContextManager[None]: ...


class LocalGate:
    """The in-process half every write lock starts with: threads of one process queue here,
    so only one of them at a time waits on the file or the database."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._lock = threading.Lock()

    @contextmanager
    def enter(self) -> Iterator[float]:
        """Hold the thread lock; yields the seconds left of the timeout for the shared half."""
        start = time.monotonic()
        if not self._lock.acquire(timeout=self.timeout_s):
            raise busy(self.timeout_s)
        try:
            yield max(0.0, self.timeout_s - (time.monotonic() - start))
        finally:
            self._lock.release()


def busy(timeout_s: float) -> Busy:
    return Busy(
        f"another upload or delete is still being written after {timeout_s:g} s; "
        "try again shortly (RAG_API__WRITE_LOCK_TIMEOUT_S sets the wait)"
    )


class FileWriteLock:
    """`flock` on a file under the data folder: every worker process of one host.

    The file is opened anew for each hold, so a forked child never shares its parent's lock,
    and the kernel drops the lock when the holder dies.
    """

    # flock has no timeout of its own: poll a non-blocking attempt, backing off to this.
    MAX_POLL_S = 0.05

    def __init__(self, path: Path, timeout_s: float = 30.0) -> None:
        self.path = path
        self._gate = LocalGate(timeout_s)
        # Made at start-up, so the data folder does not change shape on the first upload.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._gate.enter() as left:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                self._acquire(fd, left)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _acquire(self, fd: int, left: float) -> None:
        deadline = time.monotonic() + left
        pause = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise busy(self._gate.timeout_s) from None
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, self.MAX_POLL_S)
