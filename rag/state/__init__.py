"""State that the workers and hosts of one deployment share: one room, one layout.

Each concept is a package holding its protocol (`base.py`) and its backends side by side:

- `conversations/`: `ConversationStore`; `sqlite.py` (one host), `postgres.py` (many hosts)
- `event_ledger/`: `EventLedger`, the claims that answer each chat-platform event once;
  `sqlite.py`, `postgres.py`
- `write_lock/`: `WriteLock`, one upload or delete at a time; `file.py` (`flock`, one host),
  `postgres.py` (an advisory lock, many hosts)

`postgres.py` is the one `Database` (a connection pool per process) that the Postgres
backends share; it needs the `postgres` extra. `rag.factory` picks the backends: SQLite and a
lock file under `RAG_DATA_DIR`, or Postgres for all three when `RAG_CONVERSATIONS__URL` is set.
The contracts that every backend passes are in `rag.testing`.
"""
