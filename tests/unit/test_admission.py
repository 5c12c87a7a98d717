"""The pieces that keep overload bounded: the question limiter, the model's turn lock and the
cancellation flag. Threads wait for events, never for time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from api.admission import FIRST_RETRY_AFTER_S, Admission
from rag.cancellation import Cancellation, QuestionCancelled
from rag.llm.turns import TurnLock

WAIT_S = 30.0


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.005)


# --- Admission -----------------------------------------------------------------------------


def test_admission_takes_up_to_its_limit_then_refuses() -> None:
    admission = Admission(limit=2)
    first, second = admission.try_enter(), admission.try_enter()

    assert first is not None and second is not None
    assert admission.try_enter() is None
    assert admission.pending == 2


def test_a_released_slot_admits_the_next_question_once() -> None:
    admission = Admission(limit=1)
    slot = admission.try_enter()
    assert slot is not None

    slot.release()
    slot.release()  # a second release must not free a place it no longer holds

    assert admission.pending == 0
    assert admission.try_enter() is not None
    assert admission.try_enter() is None


def test_retry_after_follows_how_fast_the_line_clears(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("api.admission.time.monotonic", lambda: clock[0])
    admission = Admission(limit=3)
    assert admission.retry_after_s() == FIRST_RETRY_AFTER_S

    for _ in range(20):  # a full line that lets one question go every 40 s
        slots = [admission.try_enter() for _ in range(3)]
        for slot in slots:
            assert slot is not None
            clock[0] += 40.0
            slot.release()
        clock[0] += 3600.0  # an idle hour between bursts does not count

    assert 39 <= admission.retry_after_s() <= 40


def test_admission_never_exceeds_its_limit_under_racing_threads() -> None:
    admission = Admission(limit=3)
    start = threading.Barrier(16)
    admitted: list[object] = []
    lock = threading.Lock()

    def enter() -> None:
        start.wait()
        slot = admission.try_enter()
        if slot is not None:
            with lock:
                admitted.append(slot)

    threads = [threading.Thread(target=enter) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(admitted) == 3
    assert admission.pending == 3


# --- Cancellation --------------------------------------------------------------------------


def test_cancellation_runs_callbacks_once_and_raises_after() -> None:
    cancel = Cancellation()
    calls: list[str] = []
    cancel.on_cancel(lambda: calls.append("a"))
    unregister = cancel.on_cancel(lambda: calls.append("b"))
    unregister()
    cancel.raise_if_cancelled()  # not yet: nothing happens

    cancel.cancel()
    cancel.cancel()

    assert calls == ["a"]
    with pytest.raises(QuestionCancelled):
        cancel.raise_if_cancelled()
    cancel.on_cancel(lambda: calls.append("late"))  # already cancelled: runs at once
    assert calls == ["a", "late"]


# --- TurnLock ------------------------------------------------------------------------------


def test_turns_go_in_arrival_order() -> None:
    turns = TurnLock()
    order: list[int] = []
    holder = turns.turn()
    holder.__enter__()

    def take(i: int) -> None:
        with turns.turn():
            order.append(i)

    threads = []
    for i in range(5):
        t = threading.Thread(target=take, args=(i,))
        t.start()
        threads.append(t)
        wait_until(lambda n=i + 1: turns.waiting == n, f"{i + 1} in line")
    holder.__exit__(None, None, None)
    for t in threads:
        t.join(WAIT_S)

    assert order == [0, 1, 2, 3, 4]


def test_a_cancelled_waiter_leaves_the_line_without_its_turn() -> None:
    turns = TurnLock()
    cancel = Cancellation()
    outcome: list[str] = []

    def wait_for_turn() -> None:
        try:
            with turns.turn(cancel):
                outcome.append("ran")
        except QuestionCancelled:
            outcome.append("cancelled")

    with turns.turn():
        waiter = threading.Thread(target=wait_for_turn)
        waiter.start()
        wait_until(lambda: turns.waiting == 1, "the waiter is in line")
        cancel.cancel()
        waiter.join(WAIT_S)
        assert outcome == ["cancelled"]  # while the turn is still held
        assert turns.waiting == 0

    with turns.turn():  # the lock is free again
        pass


def test_the_one_behind_a_cancelled_waiter_still_gets_its_turn() -> None:
    turns = TurnLock()
    cancel = Cancellation()
    ran: list[str] = []

    def take(name: str, c: Cancellation | None) -> None:
        try:
            with turns.turn(c):
                ran.append(name)
        except QuestionCancelled:
            pass

    holder = turns.turn()
    holder.__enter__()
    first = threading.Thread(target=take, args=("cancelled", cancel))
    first.start()
    wait_until(lambda: turns.waiting == 1, "first in line")
    second = threading.Thread(target=take, args=("second", None))
    second.start()
    wait_until(lambda: turns.waiting == 2, "second in line")
    cancel.cancel()
    wait_until(lambda: turns.waiting == 1, "the cancelled one left")
    holder.__exit__(None, None, None)
    second.join(WAIT_S)
    first.join(WAIT_S)

    assert ran == ["second"]


def test_an_already_cancelled_question_never_takes_a_free_turn() -> None:
    turns = TurnLock()
    cancel = Cancellation()
    cancel.cancel()

    with pytest.raises(QuestionCancelled), turns.turn(cancel):
        pytest.fail("the block ran for a cancelled question")
    assert not turns.busy and turns.waiting == 0
