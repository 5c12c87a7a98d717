"""The keyword index: the shipped contract for both backends, then what only the SQLite file
does (persistence, repair, several processes)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from rag.retrieval import fts
from rag.retrieval.bm25 import BM25Index
from rag.retrieval.fts import SqliteKeywordIndex
from rag.retrieval.keyword import KeywordIndex
from rag.retrieval.keyword_sync import bring_in_step
from rag.testing.keyword_index import CHUNKS, KeywordIndexContract, chunk
from rag.types import Chunk, Filters


class TestSqlite(KeywordIndexContract):
    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[KeywordIndex]:
        index = SqliteKeywordIndex(tmp_path / "keyword.sqlite3")
        yield index
        index.close()


class TestMemory(KeywordIndexContract):
    @pytest.fixture
    def index(self) -> Iterator[KeywordIndex]:
        yield BM25Index()


# --- the SQLite file ---------------------------------------------------------------------------


class CountingStore:
    """The part of a vector store the repair reads, counting what it reads."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.by_id = {c.chunk_id: c for c in chunks}
        self.listed = 0
        self.fetched = 0

    def count(self) -> int:
        return len(self.by_id)

    def chunk_ids(self) -> set[str]:
        self.listed += 1
        return set(self.by_id)

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        self.fetched += len(chunk_ids)
        return [self.by_id[c] for c in chunk_ids]

    def chunks(self) -> list[Chunk]:
        self.fetched += len(self.by_id)
        return list(self.by_id.values())


def test_a_reopened_index_has_everything_and_the_start_rebuilds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "keyword.sqlite3"
    store = CountingStore(CHUNKS)
    first = SqliteKeywordIndex(path)
    assert bring_in_step(first, store) is not None  # empty: filled from the store once
    assert store.fetched == len(CHUNKS)
    first.close()

    reopened = SqliteKeywordIndex(path)
    assert bring_in_step(reopened, store) is None
    assert (store.listed, store.fetched) == (1, len(CHUNKS))  # no second listing or fetch
    assert reopened.search("Medvedev", 1, Filters())[0][0] == CHUNKS[2]


def test_repair_adds_what_the_index_lacks_and_drops_what_the_store_lost(tmp_path: Path) -> None:
    index = SqliteKeywordIndex(tmp_path / "keyword.sqlite3")
    index.add([*CHUNKS[:2], chunk(9, "A chunk deleted from the store while we were down.")])
    store = CountingStore(CHUNKS)

    repair = bring_in_step(index, store)

    assert repair is not None and (repair.added, repair.removed) == (2, 1)
    assert store.fetched == 2  # only the missing ones
    assert index.chunk_ids() == set(store.by_id)
    assert index.search("deleted store", 5, Filters()) == []


def test_an_index_built_with_other_tokens_is_emptied_for_the_repair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keyword.sqlite3"
    SqliteKeywordIndex(path).add(CHUNKS)
    monkeypatch.setattr(fts, "TOKENS_VERSION", "another-stemmer")

    index = SqliteKeywordIndex(path)

    assert index.rebuilt_for_tokens and index.count() == 0


def _write_in_child(path: str, text: str, wrote: multiprocessing.synchronize.Event) -> None:
    SqliteKeywordIndex(Path(path)).add([chunk(7, text)])
    wrote.set()


def _read_in_child(path: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    index = SqliteKeywordIndex(Path(path))
    results.put([c.doc_id for c, _ in index.search("Medvedev", 5, Filters())])


def test_another_process_reads_during_a_write_and_sees_it_once_committed(tmp_path: Path) -> None:
    path = tmp_path / "keyword.sqlite3"
    index = SqliteKeywordIndex(path)
    index.add(CHUNKS)
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    # A write transaction held open here: in WAL mode a reader still gets the last commit.
    with index._write() as db:
        db.execute("DELETE FROM terms")
        reader = ctx.Process(target=_read_in_child, args=(str(path), results))
        reader.start()
        assert results.get(timeout=120) == ["doc3"]
        reader.join(timeout=60)
        db.execute("ROLLBACK")
        db.execute("BEGIN")  # the context manager commits an (empty) transaction
    wrote = ctx.Event()
    writer = ctx.Process(target=_write_in_child, args=(str(path), "Medvedev in Omsk", wrote))
    writer.start()
    assert wrote.wait(timeout=120)
    writer.join(timeout=60)
    assert writer.exitcode == 0
    assert {c.doc_id for c, _ in index.search("Medvedev Omsk", 5, Filters())} == {"doc3", "doc7"}
    assert index.count() == len(CHUNKS) + 1


def test_a_worker_that_finds_the_index_built_meanwhile_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "keyword.sqlite3"
    first, second = SqliteKeywordIndex(path), SqliteKeywordIndex(path)
    assert first.replace_all(CHUNKS, expected=len(CHUNKS))

    assert not second.replace_all(CHUNKS[:1], expected=len(CHUNKS))
    assert second.count() == len(CHUNKS)
