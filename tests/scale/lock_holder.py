"""What a child process runs to hold a write lock: a module of its own, so that a spawned
child imports only the lock code, not the app and the test module around it."""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing.synchronize import Event

from rag.locks import WriteLock

DEADLINE_S = 60.0


def open_postgres_lock(url: str, timeout_s: float) -> WriteLock:
    from rag.postgres.database import Database
    from rag.postgres.locks import PostgresWriteLock

    return PostgresWriteLock(Database(url), timeout_s)


def hold_until(open_lock: Callable[[float], WriteLock], held: Event, go: Event) -> None:
    """Runs in a child process: take the lock, say so, keep it until told (or killed)."""
    with open_lock(DEADLINE_S).hold():
        held.set()
        go.wait(DEADLINE_S)
