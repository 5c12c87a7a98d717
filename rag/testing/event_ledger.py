"""`EventLedgerContract`: what every `EventLedger` (rag/state/event_ledger) must do.

Subclass it and define `open_ledger(retention_s=RETENTION_S)`: a callable that opens another
ledger over the same data, as another worker or host would (each object holds its own claims):

    class TestMyLedger(EventLedgerContract):
        @pytest.fixture
        def open_ledger(self, tmp_path: Path) -> Callable[..., EventLedger]:
            return functools.partial(MyLedger, tmp_path / "events")

A lease of 0 s has lapsed by the next call, which is how these tests stand for a worker that
died; no test waits for a clock.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rag.state.event_ledger.base import EventLedger

LEASE_S = 300.0
CONTENDERS = 8
EVENTS = 40
FORKED = 6


def _claim_in_child(ledger: EventLedger, start: Any, results: Any) -> None:
    start.wait()
    results.put(ledger.claim("EvSame", LEASE_S))


class EventLedgerContract:
    """What every EventLedger must do. `open_ledger()` opens another ledger on the same data."""

    @pytest.fixture
    def open_ledger(self) -> Callable[..., EventLedger]:
        raise NotImplementedError("define `open_ledger`: opens a ledger on the same data")

    def test_a_new_event_is_claimed_and_a_redelivery_is_dropped(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        ledger = open_ledger()
        assert ledger.state("Ev1") is None
        assert ledger.claim("Ev1", LEASE_S)
        assert ledger.state("Ev1") == "answering"
        assert not ledger.claim("Ev1", LEASE_S)
        assert ledger.claim("Ev2", LEASE_S), "other events are independent"

    def test_another_ledger_sees_the_claim(self, open_ledger: Callable[..., EventLedger]) -> None:
        """The retry lands on another worker or host while the first is still answering."""
        first, other = open_ledger(), open_ledger()
        assert first.claim("Ev1", LEASE_S)
        assert not other.claim("Ev1", LEASE_S)
        assert other.state("Ev1") == "answering"

    def test_a_finished_event_is_dropped_for_good(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        first, other = open_ledger(), open_ledger()
        assert first.claim("Ev1", 0.0)  # a lease that has lapsed by the next call
        first.finish("Ev1")
        assert other.state("Ev1") == "finished"
        assert not other.claim("Ev1", LEASE_S)
        assert not first.claim("Ev1", LEASE_S)
        first.release("Ev1")  # settling twice changes nothing
        assert other.state("Ev1") == "finished"

    def test_a_released_event_can_be_claimed_again(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        first, other = open_ledger(), open_ledger()
        assert first.claim("Ev1", LEASE_S)
        first.release("Ev1")
        assert other.state("Ev1") is None
        assert other.claim("Ev1", LEASE_S)
        assert not first.claim("Ev1", LEASE_S)

    def test_a_lapsed_claim_is_taken_over_once(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        """The process answering died: its lease lapses and one redelivery takes over."""
        dead, first, second = open_ledger(), open_ledger(), open_ledger()
        assert dead.claim("Ev1", 0.0)
        assert first.state("Ev1") == "lapsed"
        assert first.claim("Ev1", LEASE_S)
        assert not second.claim("Ev1", LEASE_S)
        assert second.state("Ev1") == "answering"

    def test_release_without_this_ledgers_claim_frees_nothing(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        """Only the ledger that holds a claim gives it up: a release from any other (a worker
        that never claimed the event) must not let a redelivery answer it a second time."""
        holder, stranger, third = open_ledger(), open_ledger(), open_ledger()
        assert holder.claim("Ev1", LEASE_S)
        stranger.release("Ev1")
        assert third.state("Ev1") == "answering"
        assert not third.claim("Ev1", LEASE_S)

    def test_a_process_whose_lease_was_taken_over_cannot_release_the_new_claim(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        slow, taker, third = open_ledger(), open_ledger(), open_ledger()
        assert slow.claim("Ev1", 0.0)
        assert taker.claim("Ev1", LEASE_S)
        slow.release("Ev1")  # its own answer failed, long after its lease lapsed
        assert third.state("Ev1") == "answering"
        assert not third.claim("Ev1", LEASE_S)

    def test_finish_holds_even_after_the_claim_was_taken_over_and_released(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        """The slow worker did post its answer, after its lease lapsed and the redelivery
        that took over failed: the event is answered, so no later delivery may answer it."""
        slow, taker, later = open_ledger(), open_ledger(), open_ledger()
        assert slow.claim("Ev1", 0.0)
        assert taker.claim("Ev1", LEASE_S)
        taker.release("Ev1")
        slow.finish("Ev1")
        assert later.state("Ev1") == "finished"
        assert not later.claim("Ev1", LEASE_S)

    def test_rows_are_pruned_after_the_retention_but_live_claims_never(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        first = open_ledger()
        assert first.claim("finished", LEASE_S)
        first.finish("finished")
        assert first.claim("lapsed", 0.0)
        assert first.claim("live", LEASE_S)
        # A new ledger prunes at its first claim; with no retention every finished or lapsed
        # row is past it, and the live claim is not.
        pruning = open_ledger(retention_s=0.0)
        assert pruning.claim("new", LEASE_S)
        assert pruning.state("finished") is None
        assert pruning.state("lapsed") is None
        assert pruning.state("live") == "answering"
        assert not pruning.claim("live", LEASE_S)
        assert pruning.state("new") == "answering"

    def test_concurrent_claims_on_separate_connections_give_exactly_one_winner(
        self, open_ledger: Callable[..., EventLedger]
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

    def test_threads_sharing_one_ledger_let_exactly_one_through(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        ledger = open_ledger()
        start = threading.Barrier(CONTENDERS)

        def deliver(_: int) -> bool:
            start.wait(timeout=30)
            return ledger.claim("EvSame", LEASE_S)

        with ThreadPoolExecutor(CONTENDERS) as pool:
            results = list(pool.map(deliver, range(CONTENDERS)))
        assert sorted(results) == [False] * (CONTENDERS - 1) + [True]

    def test_forked_workers_sharing_one_ledger_let_exactly_one_through(
        self, open_ledger: Callable[..., EventLedger]
    ) -> None:
        """Built (and its connection opened) before fork, as a server that forks its workers
        after building the app: each child must open a connection of its own."""
        if "fork" not in multiprocessing.get_all_start_methods():
            pytest.skip(f"fork is not available on {sys.platform}")
        ledger = open_ledger()
        assert ledger.state("EvSame") is None
        fork = multiprocessing.get_context("fork")
        start = fork.Barrier(FORKED)
        results = fork.Queue()
        workers = [
            fork.Process(target=_claim_in_child, args=(ledger, start, results))
            for _ in range(FORKED)
        ]
        for w in workers:
            w.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for w in workers:
            w.join(timeout=60)
        assert sorted(outcomes) == [False] * (FORKED - 1) + [True]
        assert all(w.exitcode == 0 for w in workers)
        # The parent's own connection still works after the children used theirs.
        assert ledger.state("EvSame") == "answering"
