"""Claims on chat-platform events in Postgres: each event answered once across all hosts."""

from __future__ import annotations

import secrets
import threading

from rag.postgres.database import Database

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


class PostgresEventLedger:
    """`rag.events.EventLedger` in one table that every API host shares.

    A claim is a lease: when the process answering an event dies, its claim lapses after
    `lease_s` and a redelivery may claim the event again; `finish` makes the claim permanent.
    Rows older than `keep_s` are pruned now and then (the platform stops redelivering long
    before that: Slack retries for about an hour).
    """

    PRUNE_EVERY = 200  # claims between two prunes, per process

    def __init__(self, db: Database, keep_s: float = 7 * 24 * 3600) -> None:
        self._db = db
        self._keep_s = keep_s
        # The token of each claim this process holds: a process whose lease lapsed and was
        # taken over must not release the new holder's claim.
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._claims = 0
        db.ensure_schema(SCHEMA)

    def claim(self, event_id: str, lease_s: float) -> bool:
        token = secrets.token_hex(8)
        with self._db.transaction() as conn:
            row = conn.execute(
                _CLAIM, {"id": event_id, "token": token, "lease": float(lease_s)}
            ).fetchone()
        with self._lock:
            if row is not None:
                self._tokens[event_id] = token
            self._claims += 1
            prune = self._claims % self.PRUNE_EVERY == 0
        if prune:
            self._prune()
        return row is not None

    def finish(self, event_id: str) -> None:
        with self._lock:
            self._tokens.pop(event_id, None)
        # Whoever posted the answer finishes the event, even after its lease lapsed.
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE event_claims SET finished = clock_timestamp()"
                " WHERE event_id = %s AND finished IS NULL",
                (event_id,),
            )

    def release(self, event_id: str) -> None:
        with self._lock:
            token = self._tokens.pop(event_id, None)
        with self._db.transaction() as conn:
            # Deleting the row lets the next delivery claim the event as new.
            conn.execute(
                "DELETE FROM event_claims WHERE event_id = %s AND finished IS NULL"
                " AND (%s::text IS NULL OR token = %s)",
                (event_id, token, token),
            )

    def _prune(self) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM event_claims WHERE COALESCE(finished, expires)"
                " < clock_timestamp() - make_interval(secs => %s)",
                (float(self._keep_s),),
            )
