"""A vector store whose writes also go to the keyword index, so the two never drift apart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.retrieval.keyword import KeywordIndex
from rag.store.base import StoredDocument, VectorStore
from rag.types import Chunk, Filters


class KeywordIndexedStore:
    """`VectorStore` that sends every upsert and delete to `index` as well, vector store
    first: a crash in between leaves the index behind the store, which the repair at the next
    start (`keyword_sync.bring_in_step`) sees by the chunk counts and mends.

    >>> store = KeywordIndexedStore(ChromaStore(...), SqliteKeywordIndex(path))
    >>> store.upsert(chunks, vectors)  # searchable by vector and keyword when this returns
    """

    def __init__(self, store: VectorStore, index: KeywordIndex) -> None:
        self.inner = store
        self.index = index

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        self.inner.upsert(chunks, vectors)
        self.index.add(chunks)

    def delete(self, chunk_ids: Sequence[str]) -> None:
        self.inner.delete(chunk_ids)
        self.index.delete(chunk_ids)

    def query(self, vector: Sequence[float], k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        return self.inner.query(vector, k, filters)

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        return self.inner.chunks(doc_id)

    def chunk_ids(self) -> set[str]:
        return self.inner.chunk_ids()

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        return self.inner.chunks_by_id(chunk_ids)

    def chunk_hashes(self, doc_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        return self.inner.chunk_hashes(doc_ids)

    def documents(self, doc_id: str | None = None) -> list[StoredDocument]:
        return self.inner.documents(doc_id)

    def count(self) -> int:
        return self.inner.count()

    def ping(self) -> None:
        self.inner.ping()

    def __getattr__(self, name: str) -> Any:
        # What only the concrete store has (tests reach Chroma's client through it).
        return getattr(self.inner, name)
