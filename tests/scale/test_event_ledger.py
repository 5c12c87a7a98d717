"""Event claims shared by processes and hosts: each event answered exactly once.

`EventLedgerContract` is written once for every `rag.events.EventLedger`; each test class
below says how to open another ledger over the same data (another worker or host would).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rag.events import EventLedger

LEASE_S = 300.0
CONTENDERS = 8
EVENTS = 40


class EventLedgerContract:
    """What every EventLedger must do. `open_ledger()` opens another ledger on the same data."""

    @pytest.fixture
    def open_ledger(self) -> Callable[[], EventLedger]:
        raise NotImplementedError

    def test_a_new_event_is_claimed_and_a_redelivery_is_dropped(
        self, open_ledger: Callable[[], EventLedger]
    ) -> None:
        ledger = open_ledger()
        assert ledger.claim("Ev1", LEASE_S)
        assert not ledger.claim("Ev1", LEASE_S)
        assert ledger.claim("Ev2", LEASE_S)

    def test_another_ledger_sees_the_claim(self, open_ledger: Callable[[], EventLedger]) -> None:
        """The retry lands on another worker or host while the first is still answering."""
        first, other = open_ledger(), open_ledger()
        assert first.claim("Ev1", LEASE_S)
        assert not other.claim("Ev1", LEASE_S)

    def test_a_finished_event_is_dropped_for_good(
        self, open_ledger: Callable[[], EventLedger]
    ) -> None:
        first, other = open_ledger(), open_ledger()
        assert first.claim("Ev1", 0.0)  # a lease that has lapsed by the next call
        first.finish("Ev1")
        assert not other.claim("Ev1", LEASE_S)
        assert not first.claim("Ev1", LEASE_S)

    def test_a_released_event_can_be_claimed_again(
        self, open_ledger: Callable[[], EventLedger]
    ) -> None:
        first, other = open_ledger(), open_ledger()
        assert first.claim("Ev1", LEASE_S)
        first.release("Ev1")
        assert other.claim("Ev1", LEASE_S)
        assert not first.claim("Ev1", LEASE_S)

    def test_a_lapsed_claim_is_taken_over_once(
        self, open_ledger: Callable[[], EventLedger]
    ) -> None:
        """The process answering died: its lease lapses and one redelivery takes over."""
        dead, first, second = open_ledger(), open_ledger(), open_ledger()
        assert dead.claim("Ev1", 0.0)
        assert first.claim("Ev1", LEASE_S)
        assert not second.claim("Ev1", LEASE_S)

    def test_concurrent_claims_on_separate_connections_give_exactly_one_winner(
        self, open_ledger: Callable[[], EventLedger]
    ) -> None:
        """Every contender has a ledger (connection) of its own and they start together, as
        retries landing on several hosts at once would; new and lapsed events alike."""
        ledgers = [open_ledger() for _ in range(CONTENDERS)]
        lapsed = [f"lapsed-{i}" for i in range(EVENTS // 2)]
        for event in lapsed:
            assert ledgers[0].claim(event, 0.0)
        events = [f"new-{i}" for i in range(EVENTS // 2)] + lapsed
        start = threading.Barrier(CONTENDERS)

        def contend(ledger: EventLedger) -> list[str]:
            start.wait(timeout=30)
            return [e for e in events if ledger.claim(e, LEASE_S)]

        with ThreadPoolExecutor(CONTENDERS) as pool:
            won = [e for wins in pool.map(contend, ledgers) for e in wins]
        assert sorted(won) == sorted(events), "an event was claimed twice or never"


# SQLite's ledger (`SqliteEventLedger`) is built on another branch; its class here is one
# fixture: `TestSqliteEventLedger(EventLedgerContract)` opening it on one tmp_path file.


class TestPostgresEventLedger(EventLedgerContract):
    @pytest.fixture
    def open_ledger(self, open_database: Callable[..., Any]) -> Callable[[], EventLedger]:
        from rag.postgres.events import PostgresEventLedger

        return lambda: PostgresEventLedger(open_database())

    def test_a_process_whose_lease_was_taken_over_cannot_release_the_new_claim(
        self, open_ledger: Callable[[], EventLedger]
    ) -> None:
        slow, taker, third = (open_ledger() for _ in range(3))
        assert slow.claim("Ev1", 0.0)
        assert taker.claim("Ev1", LEASE_S)
        slow.release("Ev1")  # its own answer failed, long after its lease lapsed
        assert not third.claim("Ev1", LEASE_S)

    def test_old_rows_are_pruned(
        self, postgres_url: str, open_database: Callable[..., Any]
    ) -> None:
        import psycopg

        from rag.postgres.events import PostgresEventLedger

        ledger = PostgresEventLedger(open_database(), keep_s=0.0)
        assert ledger.claim("old", 0.0)
        ledger.finish("old")
        for i in range(PostgresEventLedger.PRUNE_EVERY):
            ledger.claim(f"e{i}", LEASE_S)
        with psycopg.connect(postgres_url) as conn:
            row = conn.execute("SELECT 1 FROM event_claims WHERE event_id = 'old'").fetchone()
        assert row is None


def test_the_factory_builds_the_postgres_ledger(postgres_url: str) -> None:
    from rag.factory import build_postgres_event_ledger

    ledger = build_postgres_event_ledger(postgres_url)
    assert ledger.claim("Ev1", LEASE_S)
    assert not build_postgres_event_ledger(postgres_url).claim("Ev1", LEASE_S)
