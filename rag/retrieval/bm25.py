"""An in-memory BM25 index with numpy postings: the `memory` keyword backend and the reference
the SQLite index is measured against. Rebuilt from all its chunks after any change, so it
suits tests and small corpora, not uploads into a large archive."""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np

from rag.text.words import index_tokens, sound_key, tokens, words
from rag.types import Chunk, Filters

# Letters two words must share to count as one name in `mentions` (name and demonym).
_PREFIX = 5


class BM25Index:
    """`KeywordIndex` in this process's memory (`RAG_RETRIEVAL__KEYWORD_BACKEND=memory`)."""

    def __init__(self, chunks: Iterable[Chunk] = (), k1: float = 1.4, b: float = 0.75) -> None:
        self._k1, self._b = k1, b
        self._lock = threading.Lock()
        self._all = {c.chunk_id: c for c in chunks}
        self._build()

    # --- KeywordIndex --------------------------------------------------------------------------

    def add(self, chunks: Sequence[Chunk]) -> None:
        with self._lock:
            self._all.update((c.chunk_id, c) for c in chunks)
            self._build()

    def delete(self, chunk_ids: Sequence[str]) -> None:
        with self._lock:
            for chunk_id in chunk_ids:
                self._all.pop(chunk_id, None)
            self._build()

    def replace_all(self, chunks: Iterable[Chunk], expected: int | None = None) -> bool:
        with self._lock:
            # As the protocol says (and the SQLite index does): a caller that found the index
            # out of step is told when another thread has mended it meanwhile.
            if expected is not None and len(self._all) == expected:
                return False
            self._all = {c.chunk_id: c for c in chunks}
            self._build()
        return True

    def count(self) -> int:
        return len(self._all)

    def newest(self) -> date | None:
        return self._newest

    def chunk_ids(self) -> set[str]:
        return set(self._all)

    def close(self) -> None:
        pass

    def _build(self) -> None:
        self.chunks = list(self._all.values())
        postings: dict[str, tuple[list[int], list[int]]] = {}
        lengths = np.zeros(len(self.chunks), dtype=np.float32)
        for i, chunk in enumerate(self.chunks):
            counts = Counter(index_tokens(f"{chunk.title}\n{chunk.annotated}"))
            lengths[i] = sum(counts.values())
            for term, tf in counts.items():
                ids, tfs = postings.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        self._postings = {
            t: (np.array(ids, dtype=np.int64), np.array(tfs, dtype=np.float32))
            for t, (ids, tfs) in postings.items()
        }
        self._vocabulary = sorted(self._postings)
        self._lengths = lengths
        self._avg = float(lengths.mean()) if len(lengths) else 1.0
        self._sources = np.array([c.source for c in self.chunks], dtype=object)
        self._dates = np.array(
            [c.date.toordinal() if c.date else 0 for c in self.chunks], dtype=np.int64
        )
        self._sounds = {
            key
            for c in self.chunks
            for w in set(words(f"{c.title}\n{c.annotated}"))
            if (key := sound_key(w)) is not None
        }
        # What "last week" in a question is counted from: the archive's own newest day.
        self._newest: date | None = max((c.date for c in self.chunks if c.date), default=None)

    def search(self, query: str, k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        with self._lock:  # not while a write swaps the arrays
            return self._search(query, k, filters)

    def _search(self, query: str, k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        n = len(self.chunks)
        if n == 0:
            return []
        scores = np.zeros(n, dtype=np.float32)
        for term in set(tokens(query)):
            if term not in self._postings:
                continue
            ids, tf = self._postings[term]
            idf = math.log(1.0 + (n - len(ids) + 0.5) / (len(ids) + 0.5))
            norm = self._k1 * (1 - self._b + self._b * self._lengths[ids] / self._avg)
            scores[ids] += idf * tf * (self._k1 + 1) / (tf + norm)
        if not filters.empty:
            scores[~self._mask(filters)] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [(self.chunks[i], float(scores[i])) for i in ordered]

    def mentions(self, word: str) -> bool:
        """Whether some chunk has `word`; a word of 5+ letters also counts when a chunk has one
        with the same first five ("Kazakh" and "Kazakhstan", "Russians" and "Russia"), and one
        of 6+ when a chunk spells it as another transliteration ("Zelenskiy", "Zelensky")."""
        with self._lock:
            return self._mentions(word)

    def _mentions(self, word: str) -> bool:
        stems = tokens(word)
        if stems and all(self._has(term) for term in stems):
            return True
        folded = words(word)
        return len(folded) == 1 and sound_key(folded[0]) in self._sounds

    def _has(self, term: str) -> bool:
        if term in self._postings:
            return True
        if len(term) < _PREFIX:
            return False
        i = bisect_left(self._vocabulary, term[:_PREFIX])
        return i < len(self._vocabulary) and self._vocabulary[i].startswith(term[:_PREFIX])

    def _mask(self, filters: Filters) -> np.ndarray:
        mask = np.ones(len(self.chunks), dtype=bool)
        if filters.sources:
            mask &= np.isin(self._sources, list(filters.sources))
        if filters.date_from:
            mask &= self._dates >= filters.date_from.toordinal()
        if filters.date_to:
            mask &= (self._dates <= filters.date_to.toordinal()) & (self._dates > 0)
        return mask
