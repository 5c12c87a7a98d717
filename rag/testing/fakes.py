"""In-memory stand-ins for tests of code that uses the seams: a whole `VectorStore` and a
`Retriever` that returns given passages.

`FakeStore` passes `rag.testing.store.StoreContract` (tests/unit/test_fakes.py runs it), so a
test written against it holds for Chroma too.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from datetime import date

from rag.store.base import StoredDocument, stored_documents
from rag.types import Chunk, Filters, Passage


class FakeStore:
    """`VectorStore` in a dict. Chunks given to the constructor have no vector: every read
    sees them, but `query` ranks only chunks upserted with one.

    >>> store = FakeStore(p.chunk for p in passages)
    >>> store.existing(["001:1"])
    {'001:1'}
    """

    def __init__(self, chunks: Iterable[Chunk] = ()) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[Chunk, tuple[float, ...] | None]] = {
            c.chunk_id: (c, None) for c in chunks
        }

    # --- writes ---------------------------------------------------------------------------

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        with self._lock:
            for chunk, vector in zip(chunks, vectors, strict=True):
                self._rows[chunk.chunk_id] = (chunk, tuple(float(x) for x in vector))

    def delete(self, chunk_ids: Sequence[str]) -> None:
        with self._lock:
            for chunk_id in chunk_ids:
                self._rows.pop(chunk_id, None)

    def forget(self, chunk_ids: Sequence[str]) -> None:
        self.delete(chunk_ids)

    # --- reads ----------------------------------------------------------------------------

    def existing(self, chunk_ids: Sequence[str]) -> set[str]:
        with self._lock:
            return {i for i in chunk_ids if i in self._rows}

    def query(self, vector: Sequence[float], k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        with self._lock:
            rows = list(self._rows.values())
        scored = [
            (chunk, _cosine(vector, stored))
            for chunk, stored in rows
            if stored is not None and _passes(chunk, filters)
        ]
        scored.sort(key=lambda hit: -hit[1])
        return scored[:k]

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        return [c for c in self._all() if doc_id is None or c.doc_id == doc_id]

    def _all(self) -> list[Chunk]:
        # The other reads use this, not `chunks`, so a subclass may count calls of `chunks`.
        with self._lock:
            return [c for c, _ in self._rows.values()]

    def chunk_ids(self) -> set[str]:
        with self._lock:
            return set(self._rows)

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        with self._lock:
            return [self._rows[i][0] for i in dict.fromkeys(chunk_ids) if i in self._rows]

    def chunk_hashes(self, doc_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        wanted = set(doc_ids)
        out: dict[str, dict[str, str]] = {}
        for chunk in self._all():
            if chunk.doc_id in wanted:
                out.setdefault(chunk.doc_id, {})[chunk.chunk_id] = chunk.content_hash
        return out

    def documents(self, doc_id: str | None = None) -> list[StoredDocument]:
        return stored_documents(c for c in self._all() if doc_id in (None, c.doc_id))

    def count(self) -> int:
        with self._lock:
            return len(self._rows)

    def ping(self) -> None:
        pass


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norms if norms else 0.0


def _passes(chunk: Chunk, filters: Filters) -> bool:
    """The store's filter: listed sources; a date range leaves undated articles out."""
    if filters.sources and chunk.source not in filters.sources:
        return False
    if filters.date_from is None and filters.date_to is None:
        return True
    if chunk.date is None:
        return False
    after_start = filters.date_from is None or chunk.date >= filters.date_from
    return after_start and (filters.date_to is None or chunk.date <= filters.date_to)


class FakeRetriever:
    """`Retriever` over given passages: returned in order, within the filters' publication
    dates (undated ones always), with scripted unknown names and newest date."""

    def __init__(
        self,
        passages: Sequence[Passage],
        unknown: Sequence[str] = (),
        newest: date | None = date(2024, 7, 4),
    ) -> None:
        self._passages = list(passages)
        self._unknown = list(unknown)
        self._newest = newest
        self.queries: list[tuple[str, int, Filters | None]] = []

    def for_question(self, stored: int) -> FakeRetriever:
        return self

    def unknown_names(self, question: str) -> list[str]:
        return [name for name in self._unknown if name in question]

    def newest_date(self) -> date | None:
        return self._newest

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        self.queries.append((query, k, filters))
        f = filters or Filters()
        return [
            p
            for p in self._passages
            if p.chunk.date is None
            or (
                (f.date_from is None or p.chunk.date >= f.date_from)
                and (f.date_to is None or p.chunk.date <= f.date_to)
            )
        ][:k]
