"""One writer at a time for uploads and deletes: across threads, processes and hosts.

Storing a document and writing its file are one step: two uploads of one name that interleave
would leave the store holding one version and the upload folder the other. `FileWriteLock`
(`rag.state.write_lock.file`) covers every worker of one host (SQLite mode);
`PostgresWriteLock` (`rag.state.write_lock.postgres`) covers every host that shares the
database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from rag.errors import BackendUnavailable


class Busy(BackendUnavailable):
    """Another writer held the lock for longer than the caller waits (HTTP 503; try again)."""


class WriteLock(Protocol):
    """A lock that every process writing the same store honours.

    >>> with lock.hold():
    ...     service.add_document(data, name)

    `hold()` raises `Busy` when the lock is not free within the lock's timeout.
    `rag.testing.write_lock.WriteLockContract` is what each backend must pass.
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
