"""`ConversationStore` in one SQLite file (WAL mode): every worker process of one host."""

from __future__ import annotations

import json
import time
from pathlib import Path

from rag.state.conversations.base import ConversationStore, storable, storable_citations
from rag.state.sqlite import SqliteFile
from rag.types import Turn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
"""


class SqliteConversationStore(ConversationStore):
    """One SQLite file in WAL mode, shared by every worker process of one host."""

    def __init__(self, path: Path, max_turns: int = 6) -> None:
        self._max_turns = max_turns
        self._file = SqliteFile(path, _SCHEMA)
        self._connect = self._file.connect

    def history(self, conversation_id: str) -> list[Turn]:
        rows = (
            self._connect()
            .execute(
                "SELECT question, answer FROM turns WHERE conversation_id = ?"
                " ORDER BY seq DESC LIMIT ?",
                (conversation_id, self._max_turns),
            )
            .fetchall()
        )
        return [Turn(q, a) for q, a in reversed(rows)]

    def exists(self, conversation_id: str) -> bool:
        row = (
            self._connect()
            .execute("SELECT 1 FROM turns WHERE conversation_id = ? LIMIT 1", (conversation_id,))
            .fetchone()
        )
        return row is not None

    def append(self, conversation_id: str, turn: Turn, citations: list[dict[str, object]]) -> None:
        db = self._connect()
        # BEGIN IMMEDIATE serialises writers across processes, so seq numbers never collide.
        db.execute("BEGIN IMMEDIATE")
        try:
            (seq,) = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    seq,
                    storable(turn.question),
                    storable(turn.answer),
                    json.dumps(storable_citations(citations)),
                    time.time(),
                ),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
