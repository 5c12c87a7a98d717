"""The vector store seam."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from rag.types import Chunk, Filters


@dataclass(frozen=True)
class StoredDocument:
    """What the store knows about one ingested article."""

    doc_id: str
    source: str
    title: str
    date: date | None
    content_hash: str
    chunks: int
    complete: bool  # all its chunks are present (an interrupted ingest leaves it False)


class VectorStore(Protocol):
    """Chunks with their vectors; nearest-first search with metadata filters.

    >>> store.upsert(chunks, vectors)
    >>> [(c.chunk_id, score) for c, score in store.query(vector, k=3, filters=Filters())]

    Every read gives chunks back with every field as written. `rag.testing.store.StoreContract`
    is what each implementation must pass (ChromaStore on disk and as a server client, and
    `rag.testing.fakes.FakeStore`).
    """

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Store each chunk with its vector, replacing one stored under the same chunk id."""
        ...

    def delete(self, chunk_ids: Sequence[str]) -> None:
        """All of them, or raise having deleted none (as any reader sees it). Unknown and
        repeated ids are ignored."""
        ...

    def forget(self, chunk_ids: Sequence[str]) -> None:
        """Gone for every reader now; deleted now or before the next write that succeeds.
        Never raises for a failing store: it rolls back a write that failed part-way."""
        ...

    def existing(self, chunk_ids: Sequence[str]) -> set[str]:
        """Which of `chunk_ids` are stored, in one look-up."""
        ...

    def query(self, vector: Sequence[float], k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        """At most `k` chunks that pass `filters`, nearest first, each with its cosine
        similarity to `vector` (1.0: the same direction). Filters: `sources` lists the files
        allowed; `date_from`/`date_to` are inclusive and leave out undated articles."""
        ...

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        """Every chunk of one document, or of all when `doc_id` is None; in no set order."""
        ...

    def chunk_ids(self) -> set[str]:
        """Every stored chunk's id, without texts: what the keyword index's repair compares."""
        ...

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """The stored chunks among `chunk_ids`, each once, in no set order; unknown ids are
        skipped."""
        ...

    def chunk_hashes(self, doc_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """For each listed document with chunks stored: chunk id -> content hash. One call for
        many documents, because ingest asks this of every file it reads."""
        ...

    def documents(self, doc_id: str | None = None) -> list[StoredDocument]:
        """One entry per stored version (doc_id and content hash) of each article, or of the
        one article `doc_id`, sorted by source file name."""
        ...

    def count(self) -> int:
        """How many chunks are stored."""
        ...

    def ping(self) -> None:
        """Return when the store answers; raise `BackendUnavailable` (HTTP 503) when not."""
        ...


def stored_documents(chunks: Iterable[Chunk]) -> list[StoredDocument]:
    """`VectorStore.documents` made from chunks: one entry per (doc_id, content hash), so two
    versions of an article that are both partly stored show as two."""
    versions: dict[tuple[str, str], list[Chunk]] = {}
    for chunk in chunks:
        versions.setdefault((chunk.doc_id, chunk.content_hash), []).append(chunk)
    docs = [
        StoredDocument(
            doc_id=doc_id,
            source=parts[0].source,
            title=parts[0].title,
            date=parts[0].date,
            content_hash=content_hash,
            chunks=len(parts),
            complete=len(parts) == parts[0].total,
        )
        for (doc_id, content_hash), parts in versions.items()
    ]
    return sorted(docs, key=lambda d: d.source)
