"""`ConversationStoreContract`: what every `ConversationStore` (rag/state/conversations) must do.

Subclass it and define two fixtures: `open_store(max_turns=6)`, a picklable callable (a
module-level function or a `functools.partial` of one) that opens another store over the same
data, as another worker process or host would; and `rows()`, every stored
`(conversation_id, seq, question)`, read past the store:

    class TestMyStore(ConversationStoreContract):
        @pytest.fixture
        def open_store(self, tmp_path: Path) -> Callable[..., ConversationStore]:
            return functools.partial(MyStore, tmp_path / "turns")

        @pytest.fixture
        def rows(self, tmp_path: Path) -> Callable[[], Rows]:
            return functools.partial(read_my_rows, tmp_path / "turns")

Child processes (spawned and forked) append at once, so the store must be safe across threads,
processes and fork.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rag.errors import NotFound
from rag.state.conversations.base import ConversationStore
from rag.types import Turn

PROCESSES = 4
THREADS = 3
APPENDS = 15  # per thread

Rows = list[tuple[str, int, str]]  # (conversation_id, seq, question) of every stored turn


def _hammer(open_store: Callable[[], ConversationStore], worker: int, store: Any) -> None:
    """Runs in a child process: several threads append turns to the same conversations."""
    store = store or open_store()

    def one_thread(thread: int) -> None:
        for i in range(APPENDS):
            # Two shared conversations take contended writes; the label makes every turn
            # unique, so a lost or repeated insert shows up as a wrong multiset.
            conversation = "shared-a" if i % 2 else "shared-b"
            store.append(conversation, Turn(f"q {worker}.{thread}.{i}", "a"), [])

    with ThreadPoolExecutor(THREADS - 1) as pool:
        futures = [pool.submit(one_thread, t) for t in range(1, THREADS)]
        one_thread(0)  # the main thread too: with fork, that is where the inherited state is
        for f in futures:
            f.result()


class ConversationStoreContract:
    """What every ConversationStore must do. A subclass provides `open_store`: a picklable
    callable that opens another store over the same data, as another process or host would,
    and `rows`: every stored (conversation_id, seq, question)."""

    @pytest.fixture
    def open_store(self) -> Callable[..., ConversationStore]:
        raise NotImplementedError("define `open_store`: opens a store on the same data")

    @pytest.fixture
    def rows(self) -> Callable[[], Rows]:
        raise NotImplementedError("define `rows`: every stored (conversation_id, seq, question)")

    def test_an_unknown_conversation_has_no_history_and_is_not_found(
        self, open_store: Callable[..., ConversationStore]
    ) -> None:
        store = open_store()
        cid = store.new_id()
        assert store.history(cid) == []
        assert not store.exists(cid)
        with pytest.raises(NotFound, match=cid):
            store.require(cid)

    def test_ids_are_new_each_time(self, open_store: Callable[..., ConversationStore]) -> None:
        store = open_store()
        assert len({store.new_id() for _ in range(100)}) == 100

    def test_history_is_the_last_turns_oldest_first(
        self, open_store: Callable[..., ConversationStore]
    ) -> None:
        store = open_store(max_turns=3)
        for i in range(5):
            store.append("c1", Turn(f"q{i}", f"a{i}"), [{"n": 1, "source": "x.txt"}])
        store.append("c2", Turn("other", "other"), [])
        assert store.history("c1") == [Turn(f"q{i}", f"a{i}") for i in (2, 3, 4)]
        assert store.exists("c1")
        store.require("c1")

    def test_another_store_on_the_same_data_sees_the_turns_at_once(
        self, open_store: Callable[..., ConversationStore]
    ) -> None:
        """Another worker or host: a follow-up may land anywhere."""
        first, second = open_store(), open_store()
        first.append("c", Turn("Who met?", "Xi and Putin [1]."), [])
        assert second.exists("c")
        second.append("c", Turn("When?", "In July [1]."), [])
        assert [t.question for t in first.history("c")] == ["Who met?", "When?"]

    def test_text_round_trips_unchanged(self, open_store: Callable[..., ConversationStore]) -> None:
        store = open_store()
        odd = "Quotes ' \" ; -- DROP TABLE turns; émigré 北京 \\ \\u0000 %s %(x)s"
        store.append("c", Turn(odd, odd), [{"quote": odd}])
        assert open_store().history("c") == [Turn(odd, odd)]

    def test_nul_characters_are_dropped_and_the_turn_is_kept(
        self, open_store: Callable[..., ConversationStore]
    ) -> None:
        """A question may carry a NUL (it is not blank); Postgres cannot store one in text or
        jsonb, so every backend drops them rather than fail after the answer was written."""
        store = open_store()
        store.append("c", Turn("Who\x00 met?", "Xi\x00 [1]."), [{"quote\x00": ["Xi\x00"]}])
        assert open_store().history("c") == [Turn("Who met?", "Xi [1].")]

    @pytest.mark.parametrize("start_method", ["spawn", "fork"])
    def test_appends_from_many_processes_and_threads_keep_every_turn_once(
        self,
        open_store: Callable[..., ConversationStore],
        rows: Callable[[], Rows],
        start_method: str,
    ) -> None:
        if start_method not in multiprocessing.get_all_start_methods():
            pytest.skip(f"{start_method} is not available on {sys.platform}")
        parent = open_store()
        parent.append("shared-a", Turn("first", "a"), [])  # the parent holds an open connection
        ctx = (
            multiprocessing.get_context("fork")
            if start_method == "fork"
            else multiprocessing.get_context("spawn")
        )
        # With fork the children inherit the parent's store object, open connection
        # included, as with a server that forks workers after building the app (gunicorn
        # --preload); the store must notice and open a connection of its own in each child.
        inherited = parent if start_method == "fork" else None
        procs = [
            ctx.Process(target=_hammer, args=(open_store, w, inherited)) for w in range(PROCESSES)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=90)
        assert [p.exitcode for p in procs] == [0] * PROCESSES

        stored = rows()
        questions = [q for _, _, q in stored]
        want = {
            f"q {w}.{t}.{i}"
            for w in range(PROCESSES)
            for t in range(THREADS)
            for i in range(APPENDS)
        } | {"first"}
        assert len(questions) == len(set(questions)) == len(want)
        assert set(questions) == want
        for conversation in ("shared-a", "shared-b"):
            ordered = [q for cid, _, q in sorted(stored, key=lambda r: r[1]) if cid == conversation]
            seqs = sorted(seq for cid, seq, _ in stored if cid == conversation)
            assert seqs == list(range(1, len(seqs) + 1)), f"gaps or repeats in {conversation}"
            # Each thread's turns keep the order that thread wrote them in.
            for w in range(PROCESSES):
                for t in range(THREADS):
                    mine = [
                        int(q.rsplit(".", 1)[1]) for q in ordered if q.startswith(f"q {w}.{t}.")
                    ]
                    assert mine == sorted(mine)
        # The parent's own connection still works after the children wrote.
        assert parent.history("shared-a")[-1].question.startswith("q ")
