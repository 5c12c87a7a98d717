"""The SQLite event ledger on a clock of the test's own: when a lease lapses and a row ages out.

What every ledger does (one winner per event across threads, processes, fork and hosts) is the
shipped contract, run in tests/scale/test_event_ledger.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.factory import build_event_ledger
from rag.settings import Settings
from rag.state.event_ledger.base import EventLedger
from rag.state.event_ledger.sqlite import SqliteEventLedger


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.sqlite3"


def test_a_lapsed_lease_lets_another_worker_take_over(path: Path, clock: Clock) -> None:
    died = SqliteEventLedger(path, clock=clock)
    other = SqliteEventLedger(path, clock=clock)
    assert died.claim("Ev1", lease_s=60)

    clock.now += 59
    assert not other.claim("Ev1", lease_s=60)
    clock.now += 2
    assert other.state("Ev1") == "lapsed"
    assert other.claim("Ev1", lease_s=60)

    # The first worker waking up and failing must not free the claim the second one holds.
    died.release("Ev1")
    assert other.state("Ev1") == "answering"
    assert not died.claim("Ev1", lease_s=60)


def test_old_rows_are_deleted_after_the_retention(path: Path, clock: Clock) -> None:
    ledger = SqliteEventLedger(path, retention_s=3600, clock=clock)
    ledger.claim("EvOld", lease_s=60)
    ledger.finish("EvOld")

    clock.now += 3599
    ledger.claim("EvNew", lease_s=60)  # claims prune, at most once a minute
    assert ledger.state("EvOld") == "finished"  # finished 3599 s ago: kept

    clock.now += 61
    ledger.claim("EvNewer", lease_s=60)
    assert ledger.state("EvOld") is None
    assert ledger.state("EvNew") == "lapsed"  # lapsed a second ago: kept


def test_the_factory_builds_one_ledger_file_per_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first: EventLedger = build_event_ledger(settings)
    second: EventLedger = build_event_ledger(settings)

    assert first.claim("Ev1", lease_s=60)
    assert not second.claim("Ev1", lease_s=60)
    assert settings.events_path.exists()
