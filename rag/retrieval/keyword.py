"""The keyword-index seam: chunks found by their words (BM25), beside the vector store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from rag.types import Chunk, Filters


class KeywordIndex(Protocol):
    """Chunks searchable by the project's own tokens (`rag.text.words.index_tokens`).

    Writes follow the vector store's (`KeywordIndexedStore` sends every upsert and delete to
    both), so a chunk is found by keyword as soon as its upload returns.

    >>> index.add(chunks)
    >>> [(c.chunk_id, score) for c, score in index.search("Xi Astana", k=3, filters=Filters())]
    >>> index.mentions("Zelenskiy")  # also true when the articles spell it "Zelensky"
    True
    """

    def add(self, chunks: Sequence[Chunk]) -> None:
        """Index the chunks, replacing any with the same chunk id; one transaction."""
        ...

    def delete(self, chunk_ids: Sequence[str]) -> None:
        """Remove the chunks (unknown ids are ignored); one transaction."""
        ...

    def replace_all(self, chunks: Iterable[Chunk], expected: int | None = None) -> bool:
        """Empty the index and index `chunks`, unless (once it may write) it already holds
        `expected` chunks, built meanwhile by another worker; True when it wrote."""
        ...

    def search(self, query: str, k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        """The `k` best chunks by BM25 that pass `filters`, best first, with their scores."""
        ...

    def mentions(self, word: str) -> bool:
        """Whether some chunk has the word, or a spelling of it that differs only the way
        transliterations do ("Zelenskiy"/"Zelensky"), or (5+ letters) one that shares its
        first five ("Kazakh" and "Kazakhstan")."""
        ...

    def count(self) -> int: ...

    def newest(self) -> date | None:
        """The newest indexed chunk's article date: what "last week" in a question counts
        back from."""
        ...

    def chunk_ids(self) -> set[str]: ...

    def close(self) -> None: ...
