"""`StoreContract`: what every `VectorStore` (rag/store/base.py) must do, method by method.

Subclass it and define a `store` fixture that returns an empty store:

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path: Path) -> VectorStore:
            return MyStore(tmp_path / "db")

The vectors are small hand-made ones (`DIM` numbers), so the contract needs no embedder and
every expected neighbour is known exactly; a store must accept any dimension its first write
uses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import pytest

from rag.store.base import StoredDocument, VectorStore
from rag.types import Chunk, Filters

DIM = 4
# Cosine similarities agree to this many places; stores keep float32 vectors.
PLACES = 3
# More chunks than one page of Chroma's reads (2,000).
PAGE_PLUS = 2_100


def unit(*xs: float) -> list[float]:
    """`xs` scaled to length 1, padded with zeros to `DIM`."""
    padded = [*xs, *[0.0] * (DIM - len(xs))]
    norm = math.sqrt(sum(x * x for x in padded))
    return [x / norm for x in padded]


def make_chunk(
    doc: str,
    index: int,
    total: int,
    text: str,
    day: date | None = date(2024, 7, 3),
    content_hash: str = "h1",
    **fields: object,
) -> Chunk:
    """A chunk of article `doc` (source `doc.txt`) with every field set to something."""
    chunk = Chunk(
        chunk_id=f"{doc}-{content_hash}-{index:04d}",
        doc_id=doc,
        source=f"{doc}.txt",
        title=f"Title of {doc}",
        date=day,
        start=index * 100,
        end=index * 100 + len(text),
        text=text,
        annotated=f"{text} [annotated]",
        dates=(day, date(2024, 7, 1)) if day else (),
        content_hash=content_hash,
        index=index,
        total=total,
        outlet=f"{doc} outlet",
        url=f"https://example.com/{doc}",
    )
    return replace(chunk, **fields)  # type: ignore[arg-type]


# Three articles: Astana (2 chunks, near the x axis), BRI (2 chunks, near y) and an undated
# note (1 chunk, between x and z). `QUERY_X` is nearest to the Astana chunks, then the note.
ASTANA = [
    make_chunk("astana", 0, 2, "Xi and Putin met in Astana on Wednesday."),
    make_chunk("astana", 1, 2, "The summit of the SCO ended on 4 July."),
]
BRI = [
    make_chunk("bri", 0, 2, "Xi announced $100 billion for the Belt and Road.", date(2023, 10, 18)),
    make_chunk("bri", 1, 2, "Lenders in Beijing welcomed the plan.", date(2023, 10, 18)),
]
NOTE = [make_chunk("note", 0, 1, "An undated note about Astana.", None, dates=())]
CHUNKS = [*ASTANA, *BRI, *NOTE]
VECTORS = [unit(1.0), unit(0.9, 0.1), unit(0.0, 1.0), unit(0.1, 0.9), unit(0.7, 0.0, 0.3)]
QUERY_X = unit(1.0)


def _ids(chunks: Sequence[Chunk]) -> list[str]:
    return sorted(c.chunk_id for c in chunks)


def _document(first: Chunk, chunks: int, complete: bool) -> StoredDocument:
    return StoredDocument(
        first.doc_id, first.source, first.title, first.date, first.content_hash, chunks, complete
    )


def _hits(found: Sequence[tuple[Chunk, float]]) -> list[str]:
    return [c.chunk_id for c, _ in found]


class StoreContract:
    """What every `VectorStore` must do; a subclass provides the `store` fixture (empty)."""

    @pytest.fixture
    def store(self) -> VectorStore:
        raise NotImplementedError("define a `store` fixture that returns an empty store")

    @pytest.fixture
    def filled(self, store: VectorStore) -> VectorStore:
        store.upsert(CHUNKS, VECTORS)
        return store

    # --- an empty store ------------------------------------------------------------------

    def test_an_empty_store_has_nothing_and_answers_every_read(self, store: VectorStore) -> None:
        store.ping()
        assert store.count() == 0
        assert store.chunks() == []
        assert store.chunks("astana") == []
        assert store.chunk_ids() == set()
        assert store.chunks_by_id(["astana-h1-0000"]) == []
        assert store.existing(["astana-h1-0000"]) == set()
        assert store.chunk_hashes(["astana"]) == {}
        assert store.documents() == []
        assert store.query(QUERY_X, 3, Filters()) == []
        assert store.query(QUERY_X, 3, Filters(sources=("astana.txt",))) == []

    # --- upsert --------------------------------------------------------------------------

    def test_upsert_keeps_every_field_of_every_chunk(self, filled: VectorStore) -> None:
        assert filled.count() == len(CHUNKS)
        assert sorted(filled.chunks(), key=lambda c: c.chunk_id) == sorted(
            CHUNKS, key=lambda c: c.chunk_id
        )

    def test_upsert_of_a_stored_id_replaces_its_text_and_vector(self, filled: VectorStore) -> None:
        moved = replace(NOTE[0], text="The note, rewritten.", annotated="The note, rewritten.")
        filled.upsert([moved], [unit(0.0, 0.0, 0.0, 1.0)])
        assert filled.count() == len(CHUNKS)
        assert filled.chunks("note") == [moved]
        nearest = filled.query(unit(0.0, 0.0, 0.0, 1.0), 1, Filters())
        assert _hits(nearest) == [moved.chunk_id]
        assert nearest[0][0] == moved

    def test_upsert_of_nothing_changes_nothing(self, filled: VectorStore) -> None:
        filled.upsert([], [])
        assert filled.count() == len(CHUNKS)

    # --- query ---------------------------------------------------------------------------

    def test_query_is_nearest_first_with_cosine_similarities(self, filled: VectorStore) -> None:
        found = filled.query(QUERY_X, 3, Filters())
        assert _hits(found) == [ASTANA[0].chunk_id, ASTANA[1].chunk_id, NOTE[0].chunk_id]
        scores = [score for _, score in found]
        assert scores == sorted(scores, reverse=True)
        # The same direction scores 1; the others their cosine with the query.
        expected = [1.0, unit(0.9, 0.1)[0], unit(0.7, 0.0, 0.3)[0]]
        assert [round(s, PLACES) for s in scores] == [round(e, PLACES) for e in expected]
        assert found[0][0] == ASTANA[0]  # a hit is the chunk as stored

    def test_query_returns_at_most_k_and_all_when_k_exceeds_the_count(
        self, filled: VectorStore
    ) -> None:
        assert len(filled.query(QUERY_X, 1, Filters())) == 1
        everything = filled.query(QUERY_X, 50, Filters())
        assert sorted(_hits(everything)) == _ids(CHUNKS)

    def test_query_filters_by_source(self, filled: VectorStore) -> None:
        found = filled.query(QUERY_X, 50, Filters(sources=("bri.txt", "note.txt")))
        assert _hits(found) == [NOTE[0].chunk_id, BRI[1].chunk_id, BRI[0].chunk_id]
        assert filled.query(QUERY_X, 50, Filters(sources=("never.txt",))) == []

    def test_query_filters_by_date_inclusive_and_leaves_out_undated_articles(
        self, filled: VectorStore
    ) -> None:
        def found(f: Filters) -> list[str]:
            return sorted(_hits(filled.query(QUERY_X, 50, f)))

        assert found(Filters(date_from=date(2024, 7, 3))) == _ids(ASTANA)
        assert found(Filters(date_from=date(2024, 7, 4))) == []
        assert found(Filters(date_to=date(2023, 10, 18))) == _ids(BRI)
        assert found(Filters(date_to=date(2023, 10, 17))) == []
        both = Filters(date_from=date(2023, 1, 1), date_to=date(2024, 12, 31))
        assert found(both) == _ids(ASTANA + BRI)
        sources_and_dates = Filters(sources=("note.txt", "bri.txt"), date_from=date(2023, 1, 1))
        assert found(sources_and_dates) == _ids(BRI)

    # --- delete and forget ---------------------------------------------------------------

    def test_delete_removes_the_listed_chunks_from_every_read(self, filled: VectorStore) -> None:
        gone = ASTANA[1].chunk_id
        filled.delete([gone, gone, "never-stored"])  # repeated and unknown ids are ignored
        assert filled.count() == len(CHUNKS) - 1
        assert gone not in filled.chunk_ids()
        assert filled.existing([gone]) == set()
        assert filled.chunks_by_id([gone]) == []
        assert gone not in _hits(filled.query(QUERY_X, 50, Filters()))
        assert filled.chunks("astana") == [ASTANA[0]]
        assert gone not in filled.chunk_hashes(["astana"])["astana"]
        astana = next(d for d in filled.documents() if d.doc_id == "astana")
        assert (astana.chunks, astana.complete) == (1, False)

    def test_delete_of_nothing_changes_nothing(self, filled: VectorStore) -> None:
        filled.delete([])
        assert filled.count() == len(CHUNKS)

    def test_forget_makes_chunks_gone_for_every_reader(self, filled: VectorStore) -> None:
        gone = [c.chunk_id for c in BRI]
        filled.forget([*gone, "never-stored"])
        assert filled.chunk_ids() == set(_ids(ASTANA + NOTE))
        assert filled.existing(gone) == set()
        assert filled.chunks("bri") == []
        assert filled.chunks_by_id(gone) == []
        assert filled.chunk_hashes(["bri"]) == {}
        assert not set(gone) & set(_hits(filled.query(unit(0.0, 1.0), 50, Filters())))
        assert "bri" not in {d.doc_id for d in filled.documents()}
        # The next write goes through as usual.
        filled.upsert([BRI[0]], [VECTORS[2]])
        assert filled.existing(gone) == {BRI[0].chunk_id}

    # --- reads ---------------------------------------------------------------------------

    def test_existing_says_which_ids_are_stored(self, filled: VectorStore) -> None:
        asked = [ASTANA[0].chunk_id, ASTANA[0].chunk_id, "never-stored", NOTE[0].chunk_id]
        assert filled.existing(asked) == {ASTANA[0].chunk_id, NOTE[0].chunk_id}
        assert filled.existing([]) == set()

    def test_chunks_of_one_document_or_all(self, filled: VectorStore) -> None:
        assert _ids(filled.chunks()) == _ids(CHUNKS)
        assert sorted(filled.chunks("bri"), key=lambda c: c.index) == BRI
        assert filled.chunks("never-stored") == []

    def test_chunk_ids_are_every_stored_id(self, filled: VectorStore) -> None:
        assert filled.chunk_ids() == set(_ids(CHUNKS))

    def test_chunks_by_id_skips_unknown_and_repeated_ids(self, filled: VectorStore) -> None:
        asked = [BRI[1].chunk_id, "never-stored", NOTE[0].chunk_id, BRI[1].chunk_id]
        found = filled.chunks_by_id(asked)
        assert sorted(found, key=lambda c: c.chunk_id) == sorted(
            [BRI[1], NOTE[0]], key=lambda c: c.chunk_id
        )
        assert filled.chunks_by_id([]) == []

    def test_chunk_hashes_of_many_documents_in_one_call(self, filled: VectorStore) -> None:
        changed = make_chunk("note", 0, 1, "A second version.", None, content_hash="h2")
        filled.upsert([changed], [VECTORS[4]])
        hashes = filled.chunk_hashes(["astana", "note", "never-stored", "astana"])
        assert hashes == {
            "astana": {c.chunk_id: "h1" for c in ASTANA},
            "note": {NOTE[0].chunk_id: "h1", changed.chunk_id: "h2"},
        }
        assert filled.chunk_hashes([]) == {}

    def test_documents_are_one_per_version_sorted_by_source(self, filled: VectorStore) -> None:
        filled.delete([BRI[1].chunk_id])  # an interrupted ingest leaves an article incomplete
        assert filled.documents() == [
            _document(ASTANA[0], chunks=2, complete=True),
            _document(BRI[0], chunks=1, complete=False),
            _document(NOTE[0], chunks=1, complete=True),
        ]

    def test_documents_of_one_article(self, filled: VectorStore) -> None:
        changed = make_chunk("note", 0, 1, "A second version.", None, content_hash="h2")
        filled.upsert([changed], [VECTORS[4]])  # two versions of one article, both stored
        assert filled.documents("bri") == [_document(BRI[0], chunks=2, complete=True)]
        versions = filled.documents("note")
        assert sorted(d.content_hash for d in versions) == ["h1", "h2"]
        assert {d.doc_id for d in versions} == {"note"}
        assert filled.documents("never-stored") == []

    def test_count_follows_writes(self, store: VectorStore) -> None:
        store.upsert(ASTANA, VECTORS[:2])
        assert store.count() == 2
        store.upsert(CHUNKS, VECTORS)
        assert store.count() == len(CHUNKS)
        store.delete([c.chunk_id for c in ASTANA])
        assert store.count() == len(CHUNKS) - 2

    def test_ping_passes_on_a_working_store(self, filled: VectorStore) -> None:
        filled.ping()

    # --- more than one page --------------------------------------------------------------

    def test_every_read_covers_more_chunks_than_one_page(self, store: VectorStore) -> None:
        """Stores read in pages (Chroma: 2,000 rows); a lost or repeated page shows here."""
        many = [make_chunk("big", i, PAGE_PLUS, f"Paragraph {i}.") for i in range(PAGE_PLUS)]
        vectors = [unit(1.0, i / PAGE_PLUS, 0.5) for i in range(PAGE_PLUS)]
        store.upsert(many, vectors)
        ids = [c.chunk_id for c in many]
        assert store.count() == PAGE_PLUS
        assert store.chunk_ids() == set(ids)
        assert len(store.chunks()) == PAGE_PLUS
        assert len(store.chunks("big")) == PAGE_PLUS
        assert store.existing(ids) == set(ids)
        assert len(store.chunks_by_id(ids)) == PAGE_PLUS
        assert len(store.chunk_hashes(["big"])["big"]) == PAGE_PLUS
        assert store.documents()[0].chunks == PAGE_PLUS
        store.delete(ids[1:])
        assert store.chunk_ids() == {ids[0]}
