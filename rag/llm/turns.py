"""Turns at a model that runs one generation at a time, first come first served.

A plain `threading.Lock` promises no order, so under load one question could wait while later
ones keep winning (a Slack question behind an HTTP flood, say). A waiter whose question is
cancelled leaves the line at once, before the model does any work for it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from rag.cancellation import Cancellation


class TurnLock:
    """Mutual exclusion in arrival order; `turn(cancel)` gives up when `cancel` is set.

    >>> turns = TurnLock()
    >>> with turns.turn():
    ...     pass  # one generation at a time
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._line: deque[object] = deque()
        self._holder: object | None = None

    @property
    def waiting(self) -> int:
        """Callers in line, not counting the one holding the turn."""
        with self._cond:
            return len(self._line)

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._holder is not None

    @contextmanager
    def turn(self, cancel: Cancellation | None = None) -> Iterator[None]:
        """Wait for this caller's turn and hold it for the block; raises `QuestionCancelled`
        without taking the turn when `cancel` is set before the turn comes."""
        self._take(object(), cancel)
        try:
            yield
        finally:
            with self._cond:
                self._holder = None
                self._cond.notify_all()

    def _take(self, ticket: object, cancel: Cancellation | None) -> None:
        unregister = cancel.on_cancel(self._wake) if cancel is not None else lambda: None
        try:
            with self._cond:
                self._line.append(ticket)
                try:
                    while cancel is None or not cancel.cancelled:
                        if self._holder is None and self._line[0] is ticket:
                            self._line.popleft()
                            self._holder = ticket
                            return
                        self._cond.wait()
                finally:
                    if self._holder is not ticket:
                        # Cancelled (or interrupted): leave the line, and wake the next one,
                        # who may be first now.
                        self._line.remove(ticket)
                        self._cond.notify_all()
        finally:
            unregister()
        assert cancel is not None
        cancel.raise_if_cancelled()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()
