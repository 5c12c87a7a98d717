"""`WriteLock` as `flock` on a file under the data folder: every worker process of one host."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.state.write_lock.base import LocalGate, busy


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
