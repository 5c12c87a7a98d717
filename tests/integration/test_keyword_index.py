"""The keyword index: one contract for both backends, then what only the SQLite file does
(persistence, repair, several processes)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest

from rag.retrieval import fts
from rag.retrieval.bm25 import BM25Index
from rag.retrieval.fts import SqliteKeywordIndex
from rag.retrieval.keyword import KeywordIndex
from rag.retrieval.keyword_sync import bring_in_step
from rag.types import Chunk, Filters


def chunk(n: int, text: str, day: date | None = date(2017, 2, 25), source: str = "") -> Chunk:
    return Chunk(
        chunk_id=f"doc{n}-abc-0000",
        doc_id=f"doc{n}",
        source=source or f"article{n}.txt",
        title=f"Article {n}",
        date=day,
        start=0,
        end=len(text),
        text=text,
        annotated=text,
        dates=(day,) if day else (),
        content_hash="abc",
        index=0,
        total=1,
    )


CHUNKS = [
    chunk(1, "President Zelensky met the mayors of Kharkiv to discuss meetings on energy."),
    chunk(2, "The Kazakhstan economy grew as economies in the region slowed.", date(2016, 5, 1)),
    chunk(3, "Dmitry Medvedev opened a bridge in Vladivostok on Tuesday."),
    chunk(4, "An undated note about the Vladivostok bridge.", None),
]


class KeywordIndexContract:
    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[KeywordIndex]:
        raise NotImplementedError

    def test_finds_by_stem_and_ranks_the_rarer_word_first(self, index: KeywordIndex) -> None:
        index.add(CHUNKS)
        hits = index.search("What did Zelenskyy's meeting decide?", 3, Filters())
        assert hits and hits[0][0].doc_id == "doc1"
        assert [c.doc_id for c, _ in index.search("economy", 3, Filters())] == ["doc2"]
        scores = [s for _, s in index.search("Vladivostok bridge Medvedev", 3, Filters())]
        assert scores == sorted(scores, reverse=True) and len(scores) == 2

    def test_adding_a_chunk_again_replaces_it(self, index: KeywordIndex) -> None:
        index.add(CHUNKS)
        index.add([chunk(3, "Dmitry Medvedev visited Murmansk instead.")])
        assert index.count() == len(CHUNKS)
        assert [c.doc_id for c, _ in index.search("Murmansk", 5, Filters())] == ["doc3"]
        assert [c.doc_id for c, _ in index.search("Vladivostok", 5, Filters())] == ["doc4"]

    def test_deleted_chunks_are_gone_from_search_and_vocabulary(self, index: KeywordIndex) -> None:
        index.add(CHUNKS)
        index.delete(["doc3-abc-0000", "no-such-chunk"])
        assert index.chunk_ids() == {"doc1-abc-0000", "doc2-abc-0000", "doc4-abc-0000"}
        assert index.search("Medvedev", 5, Filters()) == []
        assert not index.mentions("Medvedev")
        assert index.mentions("Vladivostok")

    @pytest.mark.parametrize(
        "question",
        [
            'What did "Zelensky say',
            "Zelensky* NEAR(meetings energy)",
            "Zelensky -energy AND OR NOT",
            "title:Zelensky ^energy {col} (Kharkiv",
            "Zelensky's meeting; DROP TABLE chunks; --",
        ],
    )
    def test_query_syntax_in_a_question_is_only_words(
        self, index: KeywordIndex, question: str
    ) -> None:
        index.add(CHUNKS)
        assert index.search(question, 5, Filters())[0][0].doc_id == "doc1"
        assert index.count() == len(CHUNKS)

    def test_a_question_of_stopwords_or_unknown_words_finds_nothing(
        self, index: KeywordIndex
    ) -> None:
        index.add(CHUNKS)
        assert index.search("what is the", 5, Filters()) == []
        assert index.search("Quollbridge", 5, Filters()) == []

    def test_date_and_source_filters(self, index: KeywordIndex) -> None:
        index.add(CHUNKS)
        since_2017 = Filters(date_from=date(2017, 1, 1))
        found = {c.doc_id for c, _ in index.search("Vladivostok economy", 5, since_2017)}
        assert found == {"doc3"}  # doc2 is older, doc4 undated
        until_2016 = Filters(date_to=date(2016, 12, 31))
        assert [c.doc_id for c, _ in index.search("economy bridge", 5, until_2016)] == ["doc2"]
        by_source = Filters(sources=("article4.txt",))
        assert [c.doc_id for c, _ in index.search("bridge", 5, by_source)] == ["doc4"]

    def test_a_hit_is_the_chunk_as_stored(self, index: KeywordIndex) -> None:
        index.add(CHUNKS)
        [(found, _)] = index.search("Kazakhstan", 1, Filters())
        assert found == CHUNKS[1]

    @pytest.mark.parametrize(
        ("word", "known"),
        [
            ("Zelensky", True),
            ("Zelenskiy", True),  # transliterations
            ("Zelenskyy", True),
            ("Medvedyev", True),
            ("Kazakh", True),  # a demonym shares the country's first five letters
            ("Kharkov", True),  # the same city: the first five letters agree
            ("Taiwan", False),
            ("Mars", False),
        ],
    )
    def test_mentions(self, index: KeywordIndex, word: str, known: bool) -> None:
        index.add(CHUNKS)
        assert index.mentions(word) is known


class TestSqlite(KeywordIndexContract):
    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[KeywordIndex]:
        index = SqliteKeywordIndex(tmp_path / "keyword.sqlite3")
        yield index
        index.close()


class TestMemory(KeywordIndexContract):
    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[KeywordIndex]:
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
