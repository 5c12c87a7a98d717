"""A question's cancellation: set by whoever asked (an HTTP client that went away), checked by
the work done for it, so abandoned questions stop before or while they use the model."""

from __future__ import annotations

import threading
from collections.abc import Callable

from rag.errors import RagError


class QuestionCancelled(RagError):
    """Whoever asked is gone (the HTTP client disconnected): the answer would go nowhere."""


class Cancellation:
    """A one-way flag, safe to set from any thread, with callbacks that wake waiters.

    >>> cancel = Cancellation()
    >>> cancel.cancel()
    >>> cancel.cancelled
    True
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        """Set the flag (once; later calls do nothing) and run the registered callbacks."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise QuestionCancelled("the question was cancelled: whoever asked has gone")

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` when cancelled (at once if already); returns a function that
        unregisters it. Callbacks run on the cancelling thread and must not block."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._remove(callback)
        callback()
        return lambda: None

    def _remove(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
