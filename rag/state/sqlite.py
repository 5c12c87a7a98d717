"""One SQLite file shared by every worker process of a host: a connection per thread and per
process, in WAL mode, waiting on locks rather than failing."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path


class SqliteFile:
    """Hands each thread of each process its own connection to `path`, the schema applied."""

    def __init__(self, path: Path, schema: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(schema)

    def connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        # SQLite forbids using a connection across fork(): a server that forks workers after
        # building the app hands each child this object, so a child opens its own.
        if db is None or getattr(self._local, "pid", None) != os.getpid():
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
            self._local.pid = os.getpid()
        return db
