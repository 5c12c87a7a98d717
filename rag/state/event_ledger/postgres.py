"""`EventLedger` in Postgres: each chat-platform event answered once across all hosts."""

from __future__ import annotations

import secrets
import threading
import time

from rag.state.event_ledger.base import PRUNE_EVERY_S, RETENTION_S, EventState
from rag.state.postgres import Database

# Times come from the database's clock, never a host's, so hosts whose clocks disagree still
# agree on when a lease has lapsed.
SCHEMA = """
CREATE TABLE IF NOT EXISTS event_claims (
    event_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    expires TIMESTAMPTZ NOT NULL,
    finished TIMESTAMPTZ
);
"""

# One statement decides, so two hosts claiming at once cannot both win: the insert of a new
# event and the take-over of a lapsed, unfinished claim are the same atomic upsert; the row
# lock it takes makes the loser see the winner's fresh lease and return no row.
_CLAIM = """
INSERT INTO event_claims (event_id, token, expires)
VALUES (%(id)s, %(token)s, clock_timestamp() + make_interval(secs => %(lease)s))
ON CONFLICT (event_id) DO UPDATE
    SET token = EXCLUDED.token, expires = EXCLUDED.expires
    WHERE event_claims.finished IS NULL AND event_claims.expires <= clock_timestamp()
RETURNING event_id
"""

# Finished for good, whoever holds the claim now (or none: it lapsed, and its taker released
# it): an answer is in the thread.
_FINISH = """
INSERT INTO event_claims (event_id, token, expires, finished)
VALUES (%(id)s, '', clock_timestamp(), clock_timestamp())
ON CONFLICT (event_id) DO UPDATE SET finished = EXCLUDED.finished
    WHERE event_claims.finished IS NULL
"""


class PostgresEventLedger:
    """`EventLedger` in one table that every API host shares, through the process's one
    `Database` pool.

    A claim is a lease: when the process answering an event dies, its claim lapses after
    `lease_s` and a redelivery may claim the event again; `finish` makes it permanent. Rows are
    pruned `retention_s` (`RETENTION_S`, one day) after they finish or lapse.
    """

    def __init__(self, db: Database, retention_s: float = RETENTION_S) -> None:
        self._db = db
        self._retention_s = retention_s
        # The token of each claim this process holds: a process whose lease lapsed and was
        # taken over must not release the new holder's claim.
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        # When to prune next, on this host's monotonic clock: only the schedule is local, the
        # ages compared are the database's.
        self._next_prune = 0.0
        db.ensure_schema(SCHEMA)

    def claim(self, event_id: str, lease_s: float) -> bool:
        self._prune()
        token = secrets.token_hex(8)
        with self._db.transaction() as conn:
            row = conn.execute(
                _CLAIM, {"id": event_id, "token": token, "lease": float(lease_s)}
            ).fetchone()
        if row is not None:
            with self._lock:
                self._tokens[event_id] = token
        return row is not None

    def finish(self, event_id: str) -> None:
        with self._lock:
            self._tokens.pop(event_id, None)
        with self._db.transaction() as conn:
            conn.execute(_FINISH, {"id": event_id})

    def release(self, event_id: str) -> None:
        with self._lock:
            token = self._tokens.pop(event_id, None)
        if token is None:
            return
        with self._db.transaction() as conn:
            # Deleting the row lets the next delivery claim the event as new.
            conn.execute(
                "DELETE FROM event_claims WHERE event_id = %s AND finished IS NULL AND token = %s",
                (event_id, token),
            )

    def state(self, event_id: str) -> EventState | None:
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT finished IS NOT NULL, expires <= clock_timestamp()"
                " FROM event_claims WHERE event_id = %s",
                (event_id,),
            ).fetchone()
        if row is None:
            return None
        finished, lapsed = row
        if finished:
            return "finished"
        return "lapsed" if lapsed else "answering"

    def _prune(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next_prune:
                return
            self._next_prune = now + PRUNE_EVERY_S
        # Finished rows age from when they finished, claims from when their lease lapsed: a
        # live claim is never pruned, however small the retention.
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM event_claims WHERE COALESCE(finished, expires)"
                " < clock_timestamp() - make_interval(secs => %s)",
                (float(self._retention_s),),
            )
