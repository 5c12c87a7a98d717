"""The `EventLedger` in a SQLite file (WAL): shared by every worker that uses the same data dir.

One row per event id: `answering` with a lease deadline, or `finished`. A claim is a single
UPSERT, so two processes racing for the same event cannot both win. Times are wall-clock
seconds (`time.time()`), because the processes comparing them share no monotonic clock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from rag.state.event_ledger.base import PRUNE_EVERY_S, RETENTION_S, EventState
from rag.state.sqlite import SqliteFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_events (
    event_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('answering', 'finished')),
    owner TEXT NOT NULL,
    lease_until REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS slack_events_updated ON slack_events (updated);
"""

# The claim wins when the id is new, or when the row is a claim whose lease ran out.
_CLAIM = """
INSERT INTO slack_events (event_id, state, owner, lease_until, updated)
VALUES (:event_id, 'answering', :owner, :lease_until, :now)
ON CONFLICT (event_id) DO UPDATE SET
    state = 'answering', owner = excluded.owner,
    lease_until = excluded.lease_until, updated = excluded.updated
WHERE slack_events.state = 'answering' AND slack_events.lease_until <= :now
"""

# Finished rows age from when they finished, claims from when their lease lapses: a live
# claim is never pruned, however small the retention.
_PRUNE = """
DELETE FROM slack_events
WHERE CASE state WHEN 'finished' THEN updated ELSE lease_until END < ?
"""


class SqliteEventLedger:
    """`EventLedger` in `path`; safe across threads, processes and fork.

    Rows are pruned `retention_s` (`RETENTION_S`, one day) after they finish or lapse.
    """

    def __init__(
        self,
        path: Path,
        retention_s: float = RETENTION_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._retention_s = retention_s
        self._clock = clock
        # Which claim this object made per event, so a worker whose lease lapsed cannot
        # release the claim that a redelivery on another worker has taken over since.
        self._owners: dict[str, str] = {}
        self._owners_lock = threading.Lock()
        self._next_prune = 0.0
        self._file = SqliteFile(path, _SCHEMA)
        self._connect = self._file.connect

    def claim(self, event_id: str, lease_s: float) -> bool:
        now = self._clock()
        owner = uuid.uuid4().hex
        db = self._connect()
        self._prune(db, now)
        won = (
            db.execute(
                _CLAIM,
                {"event_id": event_id, "owner": owner, "lease_until": now + lease_s, "now": now},
            ).rowcount
            == 1
        )
        if won:
            with self._owners_lock:
                self._owners[event_id] = owner
        return won

    def finish(self, event_id: str) -> None:
        now = self._clock()
        with self._owners_lock:
            self._owners.pop(event_id, None)
        # Finished for good, whoever holds the claim now: an answer is in the thread.
        self._connect().execute(
            "INSERT INTO slack_events (event_id, state, owner, lease_until, updated)"
            " VALUES (?, 'finished', '', 0, ?)"
            " ON CONFLICT (event_id) DO UPDATE SET state = 'finished', updated = excluded.updated",
            (event_id, now),
        )

    def release(self, event_id: str) -> None:
        with self._owners_lock:
            owner = self._owners.pop(event_id, None)
        if owner is None:
            return
        self._connect().execute(
            "DELETE FROM slack_events WHERE event_id = ? AND state = 'answering' AND owner = ?",
            (event_id, owner),
        )

    def state(self, event_id: str) -> EventState | None:
        row = (
            self._connect()
            .execute("SELECT state, lease_until FROM slack_events WHERE event_id = ?", (event_id,))
            .fetchone()
        )
        if row is None:
            return None
        if row[0] == "answering" and row[1] <= self._clock():
            return "lapsed"
        return "finished" if row[0] == "finished" else "answering"

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        # At most once a minute per object: a DELETE on every claim would cost writes.
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_S
        db.execute(_PRUNE, (now - self._retention_s,))
