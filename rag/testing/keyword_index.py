"""`KeywordIndexContract`: what every `KeywordIndex` (rag/retrieval/keyword.py) must do.

Subclass it and define an `index` fixture that yields an empty index:

    class TestMyIndex(KeywordIndexContract):
        @pytest.fixture
        def index(self, tmp_path: Path) -> Iterator[KeywordIndex]:
            index = MyIndex(tmp_path / "words")
            yield index
            index.close()
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from rag.retrieval.keyword import KeywordIndex
from rag.types import Chunk, Filters


def chunk(n: int, text: str, day: date | None = date(2017, 2, 25), source: str = "") -> Chunk:
    """Chunk `doc{n}-abc-0000`, the only one of article `doc{n}`."""
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
    """What every `KeywordIndex` must do; a subclass provides the `index` fixture (empty)."""

    @pytest.fixture
    def index(self) -> Iterator[KeywordIndex]:
        raise NotImplementedError("define an `index` fixture that yields an empty index")

    def test_an_empty_index_finds_nothing(self, index: KeywordIndex) -> None:
        assert index.count() == 0
        assert index.chunk_ids() == set()
        assert index.newest() is None
        assert index.search("Medvedev", 5, Filters()) == []
        assert not index.mentions("Medvedev")

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

    def test_newest_is_the_newest_dated_chunk(self, index: KeywordIndex) -> None:
        index.add(CHUNKS)
        assert index.newest() == date(2017, 2, 25)
        index.add([chunk(5, "A later undated note.", None)])
        assert index.newest() == date(2017, 2, 25)
        index.delete([c.chunk_id for c in CHUNKS if c.date == date(2017, 2, 25)])
        assert index.newest() == date(2016, 5, 1)

    def test_count_and_chunk_ids_follow_writes(self, index: KeywordIndex) -> None:
        index.add(CHUNKS[:2])
        assert index.count() == 2
        index.add(CHUNKS)
        assert index.count() == len(CHUNKS)
        assert index.chunk_ids() == {c.chunk_id for c in CHUNKS}
        index.delete([])
        index.add([])
        assert index.count() == len(CHUNKS)

    def test_replace_all_empties_the_index_first(self, index: KeywordIndex) -> None:
        index.add(CHUNKS)
        fresh = [chunk(7, "Medvedev in Omsk."), chunk(8, "Rain in Omsk.")]
        assert index.replace_all(iter(fresh))  # any iterable: the store's chunks stream in
        assert index.chunk_ids() == {c.chunk_id for c in fresh}
        assert [c.doc_id for c, _ in index.search("Medvedev", 5, Filters())] == ["doc7"]
        assert not index.mentions("Vladivostok")

    def test_replace_all_writes_nothing_when_the_expected_count_is_there(
        self, index: KeywordIndex
    ) -> None:
        """Another worker built the index meanwhile: it is left as that worker wrote it."""
        index.add(CHUNKS)
        assert not index.replace_all(CHUNKS[:1], expected=len(CHUNKS))
        assert index.count() == len(CHUNKS)
        assert index.replace_all(CHUNKS[:1], expected=len(CHUNKS) + 1)
        assert index.chunk_ids() == {CHUNKS[0].chunk_id}
