"""Retrieval latency p50/p95 at 1k, 10k and 100k chunks: hybrid, dense-only and BM25-only.

    .venv/bin/python -m bench.retrieval                         # 1k, 10k, 100k chunks
    .venv/bin/python -m bench.retrieval --sizes 1000,10000 --queries 50

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
from rag.ingest import embedding_text
from rag.retrieval.bm25 import BM25Index
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import RetrievalSettings
from rag.store.chroma import ChromaStore
from rag.types import Chunk, Filters

CACHE = RESULTS / "cache"
WRITE_BATCH = 1000
TARGET_P95_MS = 50.0


class SwitchEmbedder:
    """One retriever, two query embedders: the BM25 index (tens of seconds to build at 100k
    chunks) is built once, and the query path is timed with the hash vectors and with MiniLM."""

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
        store = ChromaStore("bench", hash_embedder.name, path=folder / "chroma")
    settings = RetrievalSettings()
    switch = SwitchEmbedder(hash_embedder)
    retriever = HybridRetriever(store, switch, settings.candidates, settings.rrf_k)
    # Questions about articles that made it into this store, in the shapes users ask.
    in_store = [article(i, seed) for i in range(min(facts["articles"] - 1, 200))]
    qs = questions(in_store, n_queries, seed=size)
    with Stopwatch() as cold:
        retriever.retrieve(qs[0], settings.top_k)
    # The same index the retriever just built (rebuilt again here, which also times the build).
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
        "bm25": timed(lambda i: bm25.search(qs[i], n, Filters())),
        "hybrid_hash_query": timed(lambda i: retriever.retrieve(qs[i], settings.top_k)),
        "hybrid_hash_query_date_filter": timed(
            lambda i: retriever.retrieve(qs[i], settings.top_k, dated)
        ),
        "minilm_query_embedding": timed(lambda i: minilm.embed([qs[i]])),
    }
    switch.inner = minilm
    runs["hybrid_minilm"] = timed(lambda i: retriever.retrieve(qs[i], settings.top_k))
    stats = {name: percentiles(samples) for name, samples in runs.items()}
    return {
        "chunks": facts["chunks"],
        "articles": facts["articles"],
        "store_build_s": facts["build_s"],
        "open_s": round(opened.s, 3),
        "cold_first_query_s": round(cold.s, 3),
        "fetch_all_chunks_s": round(fetch.s, 3),
        "bm25_build_s": round(bm25_build.s, 3),
        "maxrss_mb": max_rss_mb(),
        "latency": stats,
        "hybrid_minilm_p95_meets_target": stats["hybrid_minilm"]["p95_ms"] < TARGET_P95_MS,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000", help="chunk counts")
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
        ("hybrid_hash_query", "hybrid (hash query)"),
        ("hybrid_hash_query_date_filter", "hybrid (hash) + date filter"),
        ("dense", "dense only (Chroma)"),
        ("bm25", "BM25 only"),
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
            ["chunks", "store build s", "open s", "cold 1st query s", "BM25 build s", "maxrss MB"],
            [
                [
                    r["chunks"],
                    r["store_build_s"],
                    r["open_s"],
                    r["cold_first_query_s"],
                    r["fetch_all_chunks_s"] + r["bm25_build_s"],
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
