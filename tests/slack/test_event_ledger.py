"""The SQLite event ledger: one claim wins per event, across threads, processes and workers."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import Any

import pytest

from rag.event_ledger_sqlite import SqliteEventLedger
from rag.events import EventLedger
from rag.factory import build_event_ledger
from rag.settings import Settings


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


def test_an_event_is_claimed_once_while_it_is_answered(path: Path, clock: Clock) -> None:
    ledger = SqliteEventLedger(path, clock=clock)

    assert ledger.claim("Ev1", lease_s=60)
    assert not ledger.claim("Ev1", lease_s=60)
    assert ledger.state("Ev1") == "answering"
    assert ledger.claim("Ev2", lease_s=60), "other events are independent"


def test_a_finished_event_is_never_claimed_again(path: Path, clock: Clock) -> None:
    ledger = SqliteEventLedger(path, clock=clock)
    ledger.claim("Ev1", lease_s=60)

    ledger.finish("Ev1")
    clock.now += 3600  # long past the lease

    assert not ledger.claim("Ev1", lease_s=60)
    assert ledger.state("Ev1") == "finished"


def test_a_released_event_may_be_claimed_by_a_redelivery(path: Path, clock: Clock) -> None:
    ledger = SqliteEventLedger(path, clock=clock)
    ledger.claim("Ev1", lease_s=60)

    ledger.release("Ev1")

    assert ledger.state("Ev1") is None
    assert ledger.claim("Ev1", lease_s=60)


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

    clock.now += 3601
    ledger.claim("EvNew", lease_s=60)  # claims prune, at most once a minute

    assert ledger.state("EvOld") is None
    assert ledger.state("EvNew") == "answering"


def test_concurrent_claims_in_threads_let_exactly_one_through(path: Path) -> None:
    ledger = SqliteEventLedger(path)
    start = threading.Barrier(16)
    results: list[bool] = []

    def deliver() -> None:
        start.wait()
        results.append(ledger.claim("EvSame", lease_s=60))

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [False] * 15 + [True]


def _claim_in_child(ledger: SqliteEventLedger, start: Any, results: Any) -> None:
    start.wait()
    results.put(ledger.claim("EvSame", lease_s=60))


def test_forked_workers_sharing_the_file_let_exactly_one_through(path: Path) -> None:
    # Built (and its connection opened) before fork, as a server forking workers does.
    ledger = SqliteEventLedger(path)
    assert ledger.state("EvSame") is None
    fork = multiprocessing.get_context("fork")
    start = fork.Barrier(6)
    results = fork.Queue()
    workers = [
        fork.Process(target=_claim_in_child, args=(ledger, start, results)) for _ in range(6)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=60)

    assert sorted(outcomes) == [False] * 5 + [True]
    assert all(w.exitcode == 0 for w in workers)
    assert ledger.state("EvSame") == "answering"


def test_the_factory_builds_one_ledger_file_per_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first: EventLedger = build_event_ledger(settings)
    second: EventLedger = build_event_ledger(settings)

    assert first.claim("Ev1", lease_s=60)
    assert not second.claim("Ev1", lease_s=60)
    assert settings.events_path.exists()
