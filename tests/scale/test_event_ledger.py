"""Event claims shared by processes and hosts: each event answered exactly once.

The shipped `EventLedgerContract` runs against the SQLite ledger (the workers of one data
folder) and the Postgres one (every host on one database).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rag.state.event_ledger.base import RETENTION_S, EventLedger
from rag.state.event_ledger.sqlite import SqliteEventLedger
from rag.testing.event_ledger import EventLedgerContract


class TestSqliteEventLedger(EventLedgerContract):
    @pytest.fixture
    def open_ledger(self, tmp_path: Path) -> Callable[..., EventLedger]:
        return functools.partial(SqliteEventLedger, tmp_path / "events.sqlite3")


class TestPostgresEventLedger(EventLedgerContract):
    @pytest.fixture
    def open_ledger(self, open_database: Callable[..., Any]) -> Callable[..., EventLedger]:
        from rag.state.event_ledger.postgres import PostgresEventLedger

        def open_one(retention_s: float = RETENTION_S) -> EventLedger:
            return PostgresEventLedger(open_database(), retention_s)

        return open_one
