"""Bring the keyword index back in step with the vector store, cheaply when they agree.

On a normal restart the index already matches (every write went to both), so the check is two
counts. They differ after a crash between the two writes, when another host wrote to a shared
Chroma server, on the first start after an upgrade (an empty index), or when the tokens
changed: then the chunk ids are compared and only the difference is added or removed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from rag.retrieval.keyword import KeywordIndex
from rag.store.base import VectorStore

log = logging.getLogger("newsrag")
_PAGE = 2000  # chunks fetched from the store per add


@dataclass(frozen=True)
class Repair:
    added: int
    removed: int
    seconds: float


def bring_in_step(
    index: KeywordIndex,
    store: VectorStore,
    level: int = logging.WARNING,
    stored: int | None = None,
) -> Repair | None:
    """None when the counts agree (nothing read beyond them); else what was mended, logged at
    `level`. `stored`: the store's count when the caller has just read it (one round trip)."""
    if index.count() == (store.count() if stored is None else stored):
        return None
    started = time.perf_counter()
    # The index first, then the store: a chunk another worker writes in between is in the
    # store's list and merely added twice (the same row), never removed by mistake.
    indexed = index.chunk_ids()
    stored = store.chunk_ids()
    extra = sorted(indexed - stored)
    missing = sorted(stored - indexed)
    if not indexed and missing:
        # The first start after an upgrade, or a lost file: one paged read of the whole store
        # is faster than fetching every id.
        log.info("keyword index is empty; indexing the store's %d chunks", len(missing))
        if not index.replace_all(store.chunks(), expected=len(stored)):
            log.info("keyword index was built meanwhile by another worker")
            return None
    else:
        index.delete(extra)
        for i in range(0, len(missing), _PAGE):
            index.add(store.chunks_by_id(missing[i : i + _PAGE]))
    repair = Repair(len(missing), len(extra), time.perf_counter() - started)
    log.log(
        level,
        "keyword index was out of step with the store: added %d chunks, removed %d (%.1f s)",
        repair.added,
        repair.removed,
        repair.seconds,
    )
    return repair
