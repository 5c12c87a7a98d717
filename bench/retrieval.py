"""Retrieval latency p50/p95 at 12k and 100k chunks: hybrid, dense-only and keyword-only, the
keyword index's build, restart and upload costs, and how its ranking compares with the exact
in-memory BM25.

    .venv/bin/python -m bench.retrieval                         # 12k, 100k chunks
    .venv/bin/python -m bench.retrieval --sizes 1000,12000 --queries 50

The stores are filled with generated articles, embedded with the hash embedder (MiniLM would
need about an hour for 100k chunks on 2 cores), chunked by the real chunker and written in
batches of 1,000, then cached under `bench/results/cache/` and reused by later runs
(`--rebuild` starts over). Chroma's search cost does not depend on where a vector came from, so
the same stores also time queries embedded by the real MiniLM: "hybrid + MiniLM" is what a
user's question costs end to end; "hybrid (hash query)" is the same path minus the ~10 ms
MiniLM spends on the query.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS,
    HashEmbedder,
    Load,
    Stopwatch,
    footer,
    machine,
    max_rss_mb,
    percentiles,
    save,
    table,
)
from bench.corpus import VERSION, article, questions
from rag.documents.chunker import chunk_document
from rag.documents.loader import parse_document
from rag.embeddings.base import Embedder
from rag.ingest import Ingestor, embedding_text
from rag.retrieval.bm25 import BM25Index
from rag.retrieval.fts import SqliteKeywordIndex
from rag.retrieval.hybrid import HybridRetriever
from rag.retrieval.indexed_store import KeywordIndexedStore
from rag.retrieval.keyword_sync import bring_in_step
from rag.settings import RetrievalSettings
from rag.store.chroma import ChromaStore
from rag.types import Chunk, Filters

CACHE = RESULTS / "cache"
WRITE_BATCH = 1000
TARGET_P95_MS = 50.0


class SwitchEmbedder:
    """One retriever, two query embedders: the query path is timed with the hash vectors and
    with MiniLM."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.inner.embed(texts)


def build_store(size: int, seed: int, rebuild: bool) -> tuple[Path, dict[str, Any]]:
    """A cached on-disk store of exactly `size` chunks; returns its folder and build facts."""
    folder = CACHE / f"retrieval-hash-v{VERSION}-seed{seed}-{size}"
    stamp = folder / "complete.json"
    if stamp.exists() and not rebuild:
        return folder, json.loads(stamp.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    embedder = HashEmbedder()
    store = ChromaStore("bench", embedder.name, path=folder / "chroma")
    pending: list[Chunk] = []
    written = articles = 0
    with Stopwatch() as build:
        while written + len(pending) < size:
            a = article(articles, seed)
            articles += 1
            pending.extend(chunk_document(parse_document(a.text.encode(), a.source)))
            while len(pending) >= WRITE_BATCH or (pending and written + len(pending) >= size):
                part = pending[: min(WRITE_BATCH, size - written)]
                pending = pending[len(part) :]
                store.upsert(part, embedder.embed([embedding_text(c) for c in part]))
                written += len(part)
                if written >= size:
                    pending = []
    facts = {"chunks": store.count(), "articles": articles, "build_s": round(build.s, 1)}
    stamp.write_text(json.dumps(facts))
    return folder, facts


def measure(size: int, seed: int, n_queries: int, rebuild: bool, minilm: Embedder) -> dict:
    folder, facts = build_store(size, seed, rebuild)
    print(f"{size} chunks ready ({facts}); timing…", file=sys.stderr)
    hash_embedder = HashEmbedder()
    with Stopwatch() as opened:
        chroma = ChromaStore("bench", hash_embedder.name, path=folder / "chroma")
    settings = RetrievalSettings()
    keyword_path = folder / "keyword.sqlite3"
    for suffix in ("", "-wal", "-shm"):  # every run times the first build from the store
        keyword_path.with_name(keyword_path.name + suffix).unlink(missing_ok=True)
    with Stopwatch() as keyword_build:
        bring_in_step(SqliteKeywordIndex(keyword_path), chroma)
    # A restart: open the file and compare counts; nothing is read from the store.
    with Stopwatch() as keyword_reopen:
        keyword = SqliteKeywordIndex(keyword_path)
        assert bring_in_step(keyword, chroma) is None, "the reopened index disagreed"
    store = KeywordIndexedStore(chroma, keyword)
    switch = SwitchEmbedder(hash_embedder)
    # As `build_service` sets it up for an on-disk store: no per-question count check.
    retriever = HybridRetriever(
        store, switch, keyword, settings.candidates, settings.rrf_k, watch_store=False
    )
    # Questions about articles that made it into this store, in the shapes users ask.
    in_store = [article(i, seed) for i in range(min(facts["articles"] - 1, 200))]
    qs = questions(in_store, n_queries, seed=size)
    with Stopwatch() as cold:
        retriever.retrieve(qs[0], settings.top_k)
    with Stopwatch() as fetch:
        all_chunks = store.chunks()
    with Stopwatch() as bm25_build:
        bm25 = BM25Index(all_chunks)
    del all_chunks
    n = max(settings.top_k, settings.candidates)
    hash_vectors = hash_embedder.embed(qs)
    dated = Filters(date_from=date(2023, 1, 1))

    def timed(fn: Callable[[int], object]) -> list[float]:
        for i in range(min(5, len(qs))):  # warm caches and lazily loaded segments first
            fn(i)
        samples = []
        for i in range(len(qs)):
            with Stopwatch() as t:
                fn(i)
            samples.append(t.s)
        return samples

    runs = {
        "dense": timed(lambda i: store.query(hash_vectors[i], n, Filters())),
        "keyword": timed(lambda i: keyword.search(qs[i], n, Filters())),
        "keyword_date_filter": timed(lambda i: keyword.search(qs[i], n, dated)),
        "bm25_memory": timed(lambda i: bm25.search(qs[i], n, Filters())),
        "hybrid_hash_query": timed(lambda i: retriever.retrieve(qs[i], settings.top_k)),
        "hybrid_hash_query_date_filter": timed(
            lambda i: retriever.retrieve(qs[i], settings.top_k, dated)
        ),
        "minilm_query_embedding": timed(lambda i: minilm.embed([qs[i]])),
    }
    switch.inner = minilm
    runs["hybrid_minilm"] = timed(lambda i: retriever.retrieve(qs[i], settings.top_k))
    runs["hybrid_minilm_date_filter"] = timed(
        lambda i: retriever.retrieve(qs[i], settings.top_k, dated)
    )
    stats = {name: percentiles(samples) for name, samples in runs.items()}
    return {
        "chunks": facts["chunks"],
        "articles": facts["articles"],
        "store_build_s": facts["build_s"],
        "open_s": round(opened.s, 3),
        "keyword_build_s": round(keyword_build.s, 2),
        "keyword_reopen_s": round(keyword_reopen.s, 3),
        "keyword_file_mb": round(keyword_path.stat().st_size / 1e6, 1),
        "cold_first_query_s": round(cold.s, 3),
        "fetch_all_chunks_s": round(fetch.s, 3),
        "bm25_build_s": round(bm25_build.s, 3),
        "ranking_vs_exact_bm25": agreement(keyword, bm25, qs, n),
        "upload": uploads(store, minilm, seed, size),
        "maxrss_mb": max_rss_mb(),
        "latency": stats,
        "hybrid_minilm_p95_meets_target": stats["hybrid_minilm"]["p95_ms"] < TARGET_P95_MS,
    }


def agreement(keyword: SqliteKeywordIndex, exact: BM25Index, qs: list[str], n: int) -> dict:
    """How often the two-pass SQLite search returns what exact BM25 over every chunk does."""
    top1 = overlap = 0.0
    for q in qs:
        ours = [c.chunk_id for c, _ in keyword.search(q, n, Filters())]
        best = [c.chunk_id for c, _ in exact.search(q, n, Filters())]
        top1 += bool(ours and best and ours[0] == best[0])
        overlap += len(set(ours) & set(best)) / max(len(best), 1)
    return {"top1_same": round(top1 / len(qs), 3), f"overlap_at_{n}": round(overlap / len(qs), 3)}


def uploads(store: KeywordIndexedStore, minilm: Embedder, seed: int, size: int) -> dict:
    """Upload five new articles the way the API does (parse, chunk, MiniLM, Chroma, keyword
    index), check each is found by keyword and by vector straight after, then delete them
    again so the cached store stays at `size`."""
    ingestor = Ingestor(store, minilm)
    seconds: list[float] = []
    by_keyword = by_vector = 0
    added = []
    for j in range(5):
        a = article(10_000_000 + j, seed)
        with Stopwatch() as t:
            doc, _ = ingestor.ingest_bytes(a.text.encode(), f"upload-{size}-{j}.txt")
        seconds.append(t.s)
        added.append(doc.doc_id)
        # Straight after the upload returns: its marker is a keyword hit, and its own
        # vectors find its chunks (the store's others are hash vectors, not MiniLM's).
        hits = store.index.search(f"What happened with {a.marker}?", 1, Filters())
        by_keyword += bool(hits) and hits[0][0].doc_id == doc.doc_id
        own = store.chunks(doc.doc_id)[0]
        vector = minilm.embed([embedding_text(own)])[0]
        by_vector += store.query(vector, 1, Filters())[0][0].chunk_id == own.chunk_id
    with Stopwatch() as removal:
        for doc_id in added:
            store.delete([c.chunk_id for c in store.chunks(doc_id)])
    return {
        "upload_s": percentiles(seconds),
        "found_at_once": f"keyword {by_keyword}/5, vector {by_vector}/5",
        "delete_5_s": round(removal.s, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__)
    parser.add_argument("--sizes", default="12000,100000", help="chunk counts")
    parser.add_argument("--queries", type=int, default=100, help="timed queries per mode")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rebuild", action="store_true", help="ignore cached stores")
    args = parser.parse_args(argv)
    from rag.embeddings.onnx_minilm import MiniLMEmbedder

    minilm = MiniLMEmbedder()
    before = machine()
    load = Load()
    rows = [
        {"size": size, **measure(size, args.seed, args.queries, args.rebuild, minilm)}
        for size in (int(s) for s in args.sizes.split(",") if s.strip())
    ]
    after = machine()
    payload = {
        "benchmark": "retrieval",
        "target": f"hybrid p95 < {TARGET_P95_MS:.0f} ms at 100k chunks",
        "settings": RetrievalSettings().model_dump(),
        "machine_before": before,
        "machine_after": after,
        "load": load.stop(),
        "results": rows,
    }
    path = save("retrieval", payload)
    modes = [
        ("hybrid_minilm", "hybrid + MiniLM query"),
        ("hybrid_minilm_date_filter", "hybrid + MiniLM + date filter"),
        ("hybrid_hash_query", "hybrid (hash query)"),
        ("hybrid_hash_query_date_filter", "hybrid (hash) + date filter"),
        ("dense", "dense only (Chroma)"),
        ("keyword", "keyword only (SQLite FTS5)"),
        ("keyword_date_filter", "keyword only + date filter"),
        ("bm25_memory", "BM25 in memory (old, exact)"),
        ("minilm_query_embedding", "MiniLM query embedding"),
    ]
    print(
        table(
            ["chunks", "mode", "p50 ms", "p95 ms", "p99 ms"],
            [
                [
                    r["chunks"],
                    label,
                    r["latency"][key]["p50_ms"],
                    r["latency"][key]["p95_ms"],
                    r["latency"][key]["p99_ms"],
                ]
                for r in rows
                for key, label in modes
            ],
        )
    )
    print()
    print(
        table(
            [
                "chunks",
                "keyword build s",
                "restart (reopen) s",
                "file MB",
                "old BM25 rebuild s",
                "upload s p50 / max",
                "found at once",
                "top-1 = exact BM25",
                "overlap@20",
                "maxrss MB",
            ],
            [
                [
                    r["chunks"],
                    r["keyword_build_s"],
                    r["keyword_reopen_s"],
                    r["keyword_file_mb"],
                    round(r["fetch_all_chunks_s"] + r["bm25_build_s"], 2),
                    f"{r['upload']['upload_s']['p50_ms'] / 1000:.2f} / "
                    f"{r['upload']['upload_s']['max_ms'] / 1000:.2f}",
                    r["upload"]["found_at_once"],
                    r["ranking_vs_exact_bm25"]["top1_same"],
                    r["ranking_vs_exact_bm25"]["overlap_at_20"],
                    r["maxrss_mb"],
                ]
                for r in rows
            ],
        )
    )
    print(footer(f"target: {payload['target']}", before, after, payload, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
