"""One PostgreSQL database (`RAG_CONVERSATIONS__URL`): a connection pool per process, shared
by the conversation store, the event ledger and the write lock, and errors that say what to do.
Needs the `postgres` extra."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rag.errors import BackendUnavailable

try:
    import psycopg
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the install
    raise BackendUnavailable(
        "RAG_CONVERSATIONS__URL is set but psycopg is not installed: "
        "run `.venv/bin/pip install -e '.[postgres]'`"
    ) from exc

if TYPE_CHECKING:
    from psycopg import Connection

# Key of the transaction-level advisory lock that serialises CREATE TABLE IF NOT EXISTS:
# two hosts starting at once would otherwise race on the catalog (a unique violation).
_SCHEMA_LOCK = 0x6E657773  # "news"


def describe(url: str) -> str:
    """`user@host:port/dbname` of a URL, never its password (error messages reach logs)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an unparsable URL)"
    host = info.get("host") or "localhost"
    return f"{info.get('user', '')}@{host}:{info.get('port', 5432)}/{info.get('dbname', '')}"


class Database:
    """Pooled connections to one Postgres database, opened lazily in each process.

    `rag.factory.shared_database` makes one per process and hands it to every Postgres backend,
    so a worker keeps at most `pool_size` connections (plus one per write lock held). After
    fork() the child opens a pool of its own on first use.

    >>> db = Database("postgresql://rag@db.internal/newsrag")
    >>> with db.transaction() as conn:
    ...     conn.execute("SELECT 1").fetchone()
    (1,)
    """

    def __init__(self, url: str, pool_size: int = 8, timeout_s: float = 10.0) -> None:
        self.url = url
        self.where = describe(url)
        self._pool_size = pool_size
        self._timeout_s = timeout_s
        self._pool: ConnectionPool[Any] | None = None
        self._pid = 0
        # Pools inherited through fork(): closing one would end the parent's sessions (the
        # sockets are shared), so a child only drops them, and keeps them from the collector.
        self._inherited: list[ConnectionPool[Any]] = []
        self._opening = threading.Lock()

    def _get_pool(self) -> ConnectionPool[Any]:
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._opening:  # the first requests of a worker arrive on several threads at once
            return self._open_pool()

    def _open_pool(self) -> ConnectionPool[Any]:
        if self._pool is None or self._pid != os.getpid():
            if self._pool is not None:
                self._inherited.append(self._pool)
            # One plain connection first: an unreachable database or a wrong password fails
            # at once with the server's own words, not a pool time-out after retries.
            self.connect().close()
            self._pool = ConnectionPool(
                self.url,
                min_size=1,
                max_size=self._pool_size,
                timeout=self._timeout_s,
                kwargs={"connect_timeout": max(1, round(self._timeout_s))},
                # A round trip per checkout, so connections broken by a database restart are
                # replaced before use, not handed to a request that then fails.
                check=ConnectionPool.check_connection,
                open=True,
                name="newsrag",
            )
            self._pid = os.getpid()
        return self._pool

    def unavailable(self, exc: Exception) -> BackendUnavailable:
        return BackendUnavailable(
            f"the Postgres database at {self.where} failed ({type(exc).__name__}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else 'no detail'}); "
            "is it up, and is RAG_CONVERSATIONS__URL right?"
        )

    @contextmanager
    def transaction(self) -> Iterator[Connection[Any]]:
        """A pooled connection inside one transaction: committed on exit, rolled back on error.
        A database that cannot be reached becomes `BackendUnavailable` (HTTP 503)."""
        try:
            with self._get_pool().connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise self.unavailable(exc) from exc

    def connect(self) -> Connection[Any]:
        """A connection of its own, outside the pool, in autocommit mode: for session-level
        locks, which must live exactly as long as one connection."""
        try:
            return psycopg.connect(
                self.url, autocommit=True, connect_timeout=max(1, round(self._timeout_s))
            )
        except psycopg.OperationalError as exc:
            raise self.unavailable(exc) from exc

    def ensure_schema(self, ddl: str) -> None:
        """Run `CREATE … IF NOT EXISTS` statements once, even when hosts start together."""
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            conn.execute(ddl)  # type: ignore[arg-type]  # a constant of this package

    def close(self) -> None:
        if self._pool is not None and self._pid == os.getpid():
            self._pool.close()
        self._pool = None
