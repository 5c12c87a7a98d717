"""What a child process of `WriteLockContract` runs to hold a write lock: a module of its own
without pytest, so that a spawned child imports only the lock code."""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing.synchronize import Event

from rag.state.write_lock.base import WriteLock

DEADLINE_S = 60.0


def hold_until(open_lock: Callable[[float], WriteLock], held: Event, go: Event) -> None:
    """Runs in a child process: take the lock, say so, keep it until told (or killed)."""
    with open_lock(DEADLINE_S).hold():
        held.set()
        go.wait(DEADLINE_S)
