"""Dense + BM25 retrieval fused with reciprocal rank fusion."""

from __future__ import annotations

import copy
import logging
import threading
from datetime import date

from rag.embeddings.base import Embedder
from rag.retrieval.dedup import collapse_near_duplicates
from rag.retrieval.keyword import KeywordIndex
from rag.retrieval.keyword_sync import bring_in_step
from rag.store.base import VectorStore
from rag.text.names import unknown_names
from rag.types import Filters, Passage

_VECTOR_CACHE = 8  # query embeddings kept (oldest dropped first)


class HybridRetriever:
    """Fuses nearest-neighbour search with BM25, which catches names and figures MiniLM blurs.

    >>> retriever = HybridRetriever(store, embedder, SqliteKeywordIndex(path))
    >>> retriever.retrieve("How much extra lending for the BRI?", k=4)[0].chunk.source
    '000_f4d4d8ba4c92511d.txt'
    """

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        keyword: KeywordIndex,
        candidates: int = 20,
        rrf_k: int = 60,
        watch_store: bool = True,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self.keyword = keyword
        self._watch_store = watch_store
        self._candidates = candidates
        self._rrf_k = rrf_k
        self._repairing = threading.Lock()
        self._lock = threading.Lock()
        self._vectors: dict[str, list[float]] = {}

    def for_question(self, stored: int) -> HybridRetriever:
        """This retriever for the searches of one question: the keyword index is brought in
        step with the store now, from `stored` (the store's count, just read by the caller),
        instead of at each search; a question searches up to three times."""
        self._bring_in_step(stored)
        view = copy.copy(self)  # shares the index, the locks and the query-vector cache
        view._watch_store = False
        return view

    def _bring_in_step(self, stored: int | None = None) -> None:
        if self._watch_store and self._repairing.acquire(blocking=False):
            try:
                bring_in_step(self.keyword, self._store, logging.INFO, stored)
            finally:
                self._repairing.release()

    def _index(self) -> KeywordIndex:
        # Writes through this host's store reach the index too (`KeywordIndexedStore`); another
        # host writing to a shared Chroma server does not, and shows as a changed count. A
        # replacement with exactly as many chunks is missed until the next change or restart.
        # One thread mends; the others search the index as it is rather than wait. Without
        # `watch_store` (an on-disk store only this host writes) the check is skipped: Chroma's
        # count() alone took 26 ms at 100k chunks.
        self._bring_in_step()
        return self.keyword

    def unknown_names(self, question: str) -> list[str]:
        """The question's names that no stored chunk has (see `KeywordIndex.mentions`)."""
        return unknown_names(question, self._index().mentions)

    def _query_vector(self, query: str) -> list[float]:
        """The query's embedding; the last few are kept, because a question with a time scope
        searches twice (in the period, and mentioning it) with the same text."""
        with self._lock:
            cached = self._vectors.get(query)
        if cached is not None:
            return cached
        vector = list(self._embedder.embed([query])[0])
        with self._lock:
            self._vectors[query] = vector
            while len(self._vectors) > _VECTOR_CACHE:
                self._vectors.pop(next(iter(self._vectors)))
        return vector

    def newest_date(self) -> date | None:
        """The newest article's date, from the keyword index (which every write reaches)."""
        return self._index().newest()

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        filters = filters or Filters()
        n = max(k, self._candidates)
        vector = self._query_vector(query)
        dense = self._store.query(vector, n, filters)
        sparse = self._index().search(query, n, filters)
        fused: dict[str, dict[str, object]] = {}
        for rank, (chunk, _) in enumerate(dense, start=1):
            fused.setdefault(chunk.chunk_id, {"chunk": chunk})["dense"] = rank
        for rank, (chunk, _) in enumerate(sparse, start=1):
            fused.setdefault(chunk.chunk_id, {"chunk": chunk})["sparse"] = rank
        passages = []
        for entry in fused.values():
            dense_rank = entry.get("dense")
            sparse_rank = entry.get("sparse")
            score = sum(
                1.0 / (self._rrf_k + r) for r in (dense_rank, sparse_rank) if isinstance(r, int)
            )
            passages.append(
                Passage(
                    chunk=entry["chunk"],  # type: ignore[arg-type]
                    score=score,
                    dense_rank=dense_rank if isinstance(dense_rank, int) else None,
                    sparse_rank=sparse_rank if isinstance(sparse_rank, int) else None,
                )
            )
        passages.sort(key=lambda p: (-p.score, p.chunk.chunk_id))
        # The same wire copy in several outlets would otherwise fill the top-k.
        return collapse_near_duplicates(passages)[:k]
