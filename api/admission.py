"""Admission of questions: a fast 503 beyond a bound, and cancellation when the client leaves.

The embedded model answers one question at a time, so without a bound every extra question
waits in line (in a thread) until its client has long given up, and is then answered anyway.
Here a process takes on at most `RAG_API__MAX_PENDING_QUESTIONS` at once (answering or
waiting); the next one gets 503 with `Retry-After` before any retrieval or model work. An
admitted question whose client disconnects is cancelled: it leaves the line for the model, or
stops generating. The bound is per process (`rag serve --workers N` takes N times as many).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, HTTPException, Request
from starlette.types import Receive

from rag.cancellation import Cancellation, QuestionCancelled

log = logging.getLogger("newsrag.api")

T = TypeVar("T")

# Retry-After before the server has cleared a question under load: about one embedded answer.
FIRST_RETRY_AFTER_S = 5.0
# Weight of the latest interval in the running mean.
SMOOTHING = 0.3


class Admission:
    """At most `limit` questions in this process at once.

    >>> admission = Admission(limit=1)
    >>> slot = admission.try_enter()
    >>> admission.try_enter() is None  # full: the caller answers 503
    True
    >>> slot.release()
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._pending = 0
        self._interval_s = FIRST_RETRY_AFTER_S
        self._last_release: float | None = None

    @property
    def pending(self) -> int:
        """Questions admitted and not yet finished."""
        with self._lock:
            return self._pending

    def try_enter(self) -> Slot | None:
        """A slot for one question, or None when `limit` are already in."""
        with self._lock:
            if self._pending >= self.limit:
                return None
            self._pending += 1
        return Slot(self)

    def retry_after_s(self) -> int:
        """Whole seconds until a place is likely to free: the mean time between two questions
        finishing while others were still in (how fast the server clears its line)."""
        with self._lock:
            return max(1, math.ceil(self._interval_s))

    def _leave(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._pending -= 1
            if self._last_release is not None:
                self._interval_s += SMOOTHING * (now - self._last_release - self._interval_s)
            # An idle spell between questions says nothing about how fast the line moves.
            self._last_release = now if self._pending else None


class Slot:
    """One admitted question; `release` (once; later calls do nothing) frees its place."""

    def __init__(self, admission: Admission) -> None:
        self._admission = admission
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._admission._leave()


class AdmittedQuestion:
    """What a route gets for an admitted question: the cancellation to pass to the service,
    and `owns` for the service's event stream, which is closed when the request ends so an
    abandoned stream never keeps the model's turn."""

    def __init__(self) -> None:
        self.cancel = Cancellation()
        self._streams: list[Iterator[object]] = []

    def owns(self, events: Iterator[T]) -> Iterator[T]:
        self._streams.append(events)
        return events

    def close_streams(self) -> None:
        for events in self._streams:
            close = getattr(events, "close", None)
            if close is None:
                continue
            try:
                close()
            except ValueError:
                # Still running on a worker thread (it cannot be closed from here): the set
                # cancellation stops it at its next step instead.
                log.warning("an abandoned answer stream was still running; cancelled instead")


def overloaded(admission: Admission) -> HTTPException:
    return HTTPException(
        status_code=503,
        detail=(
            f"the server is busy with {admission.limit} questions, as many as it takes at "
            f"once; try again in {admission.retry_after_s()} s"
        ),
        headers={"Retry-After": str(admission.retry_after_s())},
    )


async def admit_question(request: Request) -> AsyncIterator[AdmittedQuestion]:
    """FastAPI dependency: a place for this question, or 503 with Retry-After at once.

    FastAPI runs the code after `yield` once the response has been sent (a stream included),
    so the place is held for as long as the question uses the model.
    """
    admission: Admission = request.app.state.admission
    slot = admission.try_enter()
    if slot is None:
        raise overloaded(admission)
    question = AdmittedQuestion()
    # FastAPI has read the whole body before dependencies run, so the next ASGI message is
    # the disconnect (or the end of the response).
    watcher = asyncio.ensure_future(_cancel_on_disconnect(request.receive, question.cancel))
    try:
        yield question
    except QuestionCancelled:
        log.info("client disconnected; its question was abandoned")
        raise
    finally:
        watcher.cancel()
        # Off the event loop (closing a model stream may touch the model); shielded so that a
        # request cancelled by a disconnect still cleans up.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(question.close_streams)
        slot.release()


async def _cancel_on_disconnect(receive: Receive, cancel: Cancellation) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
    # Also the message once the response is complete, when setting the flag changes nothing.
    cancel.cancel()


AdmittedDep = Annotated[AdmittedQuestion, Depends(admit_question)]
