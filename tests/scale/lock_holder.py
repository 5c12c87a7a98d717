"""How a spawned child opens the Postgres write lock: a module of its own, so that the child
imports only the lock code, not the app and the test module around it."""

from __future__ import annotations

from rag.state.write_lock.base import WriteLock


def open_postgres_lock(url: str, timeout_s: float) -> WriteLock:
    from rag.state.postgres import Database
    from rag.state.write_lock.postgres import PostgresWriteLock

    return PostgresWriteLock(Database(url), timeout_s)
