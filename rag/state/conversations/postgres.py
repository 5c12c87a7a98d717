"""`ConversationStore` in Postgres, so follow-ups can land on any worker of any host."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from rag.state.conversations.base import ConversationStore, storable, storable_citations
from rag.state.postgres import Database
from rag.types import Turn

# The same table as the SQLite store, so migrating is a copy of rows.
SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations JSONB NOT NULL DEFAULT '[]',
    created TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (conversation_id, seq)
);
"""


class PostgresConversationStore(ConversationStore):
    """Turns in one Postgres table that every API host shares, through the process's one
    `Database` pool (`rag.factory.shared_database`)."""

    def __init__(self, db: Database, max_turns: int = 6) -> None:
        self._db = db
        self._max_turns = max_turns
        db.ensure_schema(SCHEMA)

    def history(self, conversation_id: str) -> list[Turn]:
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT question, answer FROM turns WHERE conversation_id = %s"
                " ORDER BY seq DESC LIMIT %s",
                (conversation_id, self._max_turns),
            ).fetchall()
        return [Turn(q, a) for q, a in reversed(rows)]

    def exists(self, conversation_id: str) -> bool:
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT 1 FROM turns WHERE conversation_id = %s LIMIT 1", (conversation_id,)
            ).fetchone()
        return row is not None

    def append(self, conversation_id: str, turn: Turn, citations: list[dict[str, object]]) -> None:
        with self._db.transaction() as conn:
            # What BEGIN IMMEDIATE gives SQLite: one writer per conversation at a time, so
            # MAX(seq) + 1 never collides; other conversations append in parallel. The lock
            # ends with the transaction, so a dead host cannot keep it.
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (conversation_id,)
            )
            conn.execute(
                "INSERT INTO turns (conversation_id, seq, question, answer, citations)"
                " SELECT %s, COALESCE(MAX(seq), 0) + 1, %s, %s, %s"
                " FROM turns WHERE conversation_id = %s",
                (
                    conversation_id,
                    storable(turn.question),
                    storable(turn.answer),
                    Jsonb(storable_citations(citations)),
                    conversation_id,
                ),
            )
