"""`WriteLock` as a Postgres advisory lock, honoured by every host that shares the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
from psycopg import errors

from rag.state.postgres import Database
from rag.state.write_lock.base import LocalGate, busy

# Advisory locks with two int4 keys live apart from the one-bigint keys that conversation
# appends take (hashtextextended), so the two can never collide.
LOCK_KEYS = (0x6E657773, 1)  # ("news", the document writes)


class PostgresWriteLock:
    """`pg_advisory_lock` on a connection of its own, for as long as one write takes.

    A session lock dies with its connection, so a host that crashes mid-upload frees it; the
    wait is bounded by `lock_timeout`, and a wait that runs out is `Busy` (HTTP 503).
    """

    def __init__(self, db: Database, timeout_s: float = 30.0) -> None:
        self._db = db
        self._gate = LocalGate(timeout_s)

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._gate.enter() as left, self._db.connect() as conn:
            try:
                # lock_timeout bounds waits for advisory locks too; at least 1 ms, as 0 means
                # "wait for ever" to Postgres.
                ms = max(1, int(left * 1000))
                conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{ms}ms",))
                conn.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEYS)
            except errors.LockNotAvailable:
                raise busy(self._gate.timeout_s) from None
            except psycopg.OperationalError as exc:
                raise self._db.unavailable(exc) from exc
            try:
                yield
            finally:
                # Closing the connection would free it too; unlocking first is explicit, and
                # harmless if the connection is already gone.
                with suppress(psycopg.Error):
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", LOCK_KEYS)
