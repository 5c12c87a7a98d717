"""Retrieval latency, embedded Chroma (PersistentClient) vs a Chroma server (HttpClient).

    .venv/bin/python -m bench.retrieval_modes                        # 1k and 10k chunks
    .venv/bin/python -m bench.retrieval_modes --sizes 1000 --queries 50

For each size one store is built on disk from generated articles (real chunker, hash embedder:
MiniLM would take minutes per 10k chunks and Chroma's search cost does not depend on where a
vector came from). The folder is then copied and served by `chroma run` on 127.0.0.1, so both
modes search the same rows. The query path is the real one: `ChromaStore.query` and
`HybridRetriever.retrieve` with MiniLM embedding each question, against either store, one query
after the other in alternating order so that load from other processes hits both modes alike.
Results go to `bench/results/retrieval_modes.json` (plus a timestamped copy).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
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
from bench.corpus import article, questions
from rag.answer.prompts import Prompts
from rag.documents.chunker import chunk_document
from rag.documents.loader import parse_document
from rag.embeddings.base import Embedder
from rag.ingest import Ingestor, embedding_text
from rag.llm.fake import FakeChatModel
from rag.retrieval.bm25 import BM25Index
from rag.retrieval.hybrid import HybridRetriever
from rag.service import RagService
from rag.settings import PROJECT_ROOT, RetrievalSettings
from rag.store.chroma import ChromaStore
from rag.types import Chunk, Filters

COLLECTION = "bench-modes"
WRITE_BATCH = 1000
WARMUP = 5

# (key, label) in the order the table prints them.
OPERATIONS = (
    ("count", "count() round trip"),
    ("dense", "dense query, k=20"),
    ("dense_date_filter", "dense + date filter"),
    ("hybrid_minilm", "hybrid + MiniLM query"),
    ("ask_fake_model", "ask(), scripted model"),
)
# The model is scripted: this times everything else a question costs, including the store
# calls after retrieval (whole articles fetched for sentence matching), which a remote store
# pays per round trip.
SCRIPTED_REPLY = "The article reports this [1]."


def build_store(folder: Path, size: int, seed: int) -> dict[str, Any]:
    """Exactly `size` chunks of generated articles in an on-disk store at `folder`."""
    embedder = HashEmbedder()
    store = ChromaStore(COLLECTION, embedder.name, path=folder)
    pending: list[Chunk] = []
    written = articles = 0
    with Stopwatch() as build:
        while written < size:
            take = min(WRITE_BATCH, size - written)
            if len(pending) < take:
                a = article(articles, seed)
                articles += 1
                pending.extend(chunk_document(parse_document(a.text.encode(), a.source)))
                continue
            part, pending = pending[:take], pending[take:]
            store.upsert(part, embedder.embed([embedding_text(c) for c in part]))
            written += len(part)
    facts = {"chunks": store.count(), "articles": articles, "build_s": round(build.s, 1)}
    # Drop the client before the folder is copied, so nothing is mid-write.
    del store
    gc.collect()
    return facts


@contextmanager
def chroma_server(path: Path, log: Path, timeout_s: float = 60.0) -> Iterator[tuple[int, int]]:
    """`chroma run` on a free loopback port; yields (port, pid) once the heartbeat answers."""
    cli = Path(sys.executable).parent / "chroma"
    if not cli.exists():
        raise SystemExit(f"the chroma CLI is missing ({cli}); reinstall chromadb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(cli), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group, so stopping it reaches nothing else
        )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"chroma run exited with {proc.returncode}; see {log}")
            try:
                url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
                if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"chroma run did not answer within {timeout_s} s; see {log}")
            time.sleep(0.1)
        yield port, proc.pid
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


def rss_mb(pid: int) -> float | None:
    """Resident memory of another process (Linux), for the server's footprint."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def measure(size: int, seed: int, n_queries: int, minilm: Embedder, work: Path) -> dict[str, Any]:
    embedded_dir, served_dir = work / f"embedded-{size}", work / f"served-{size}"
    facts = build_store(embedded_dir, size, seed)
    shutil.copytree(embedded_dir, served_dir)
    print(f"{size} chunks built ({facts}); timing…", file=sys.stderr)
    hash_embedder = HashEmbedder()
    settings = RetrievalSettings()
    in_store = [article(i, seed) for i in range(min(facts["articles"] - 1, 200))]
    qs = questions(in_store, n_queries, seed=size)
    hash_vectors = hash_embedder.embed(qs)
    n = max(settings.top_k, settings.candidates)
    dated = Filters(date_from=date(2023, 1, 1))

    with chroma_server(served_dir, work / f"chroma-{size}.log") as (port, pid):
        stores: dict[str, ChromaStore] = {}
        opened: dict[str, float] = {}
        with Stopwatch() as t:
            stores["embedded"] = ChromaStore(COLLECTION, hash_embedder.name, path=embedded_dir)
        opened["embedded"] = t.s
        with Stopwatch() as t:
            stores["server"] = ChromaStore(
                COLLECTION, hash_embedder.name, host="127.0.0.1", port=port
            )
        opened["server"] = t.s
        counts = {mode: store.count() for mode, store in stores.items()}
        if counts["embedded"] != counts["server"] or counts["server"] != facts["chunks"]:
            raise SystemExit(f"the copied store differs: {counts} vs {facts['chunks']} built")

        retrievers: dict[str, HybridRetriever] = {}
        services: dict[str, RagService] = {}
        first_query: dict[str, float] = {}
        fetch_all: dict[str, float] = {}
        for mode, store in stores.items():
            # The in-memory keyword backend, filled from the store by the first query.
            retrievers[mode] = HybridRetriever(
                store, minilm, BM25Index(), settings.candidates, settings.rrf_k
            )
            services[mode] = RagService(
                store=store,
                retriever=retrievers[mode],
                ingestor=Ingestor(store, minilm),
                llm=lambda: FakeChatModel(SCRIPTED_REPLY),
                prompts=Prompts(PROJECT_ROOT / "prompts"),
                top_k=settings.top_k,
                focus_pool=settings.focus_pool,
            )
            # The first query also fetches every chunk for BM25: what a worker pays once.
            with Stopwatch() as t:
                retrievers[mode].retrieve(qs[0], settings.top_k)
            first_query[mode] = t.s
            with Stopwatch() as t:
                store.chunks()
            fetch_all[mode] = t.s

        def ops(mode: str) -> dict[str, Callable[[int], object]]:
            store, retriever, service = stores[mode], retrievers[mode], services[mode]
            return {
                "count": lambda i: store.count(),
                "dense": lambda i: store.query(hash_vectors[i], n, Filters()),
                "dense_date_filter": lambda i: store.query(hash_vectors[i], n, dated),
                "hybrid_minilm": lambda i: retriever.retrieve(qs[i], settings.top_k),
                "ask_fake_model": lambda i: service.ask(qs[i]),
            }

        samples: dict[str, dict[str, list[float]]] = {
            mode: {key: [] for key, _ in OPERATIONS} for mode in stores
        }
        agree = 0
        for key, _ in OPERATIONS:
            fns = {mode: ops(mode)[key] for mode in stores}
            for i in range(min(WARMUP, len(qs))):
                for fn in fns.values():
                    fn(i)
            for i in range(len(qs)):
                order = ("embedded", "server") if i % 2 == 0 else ("server", "embedded")
                results: dict[str, Any] = {}
                for mode in order:
                    with Stopwatch() as t:
                        results[mode] = fns[mode](i)
                    samples[mode][key].append(t.s)
                if key == "dense":
                    ids = {m: [c.chunk_id for c, _ in r] for m, r in results.items()}
                    agree += ids["embedded"] == ids["server"]
        server_rss = rss_mb(pid)

    latency = {
        mode: {key: percentiles(s) for key, s in by_op.items()} for mode, by_op in samples.items()
    }
    return {
        "chunks": facts["chunks"],
        "articles": facts["articles"],
        "store_build_s": facts["build_s"],
        "open_s": {m: round(s, 3) for m, s in opened.items()},
        "first_query_with_bm25_build_s": {m: round(s, 3) for m, s in first_query.items()},
        "fetch_all_chunks_s": {m: round(s, 3) for m, s in fetch_all.items()},
        "dense_results_identical": f"{agree}/{len(qs)}",
        "client_maxrss_mb": max_rss_mb(),
        "server_rss_mb": server_rss,
        "latency": latency,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval_modes", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="chunk counts")
    parser.add_argument("--queries", type=int, default=100, help="timed queries per operation")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from rag.embeddings.onnx_minilm import MiniLMEmbedder

    minilm = MiniLMEmbedder()
    before = machine()
    load = Load()
    with tempfile.TemporaryDirectory(prefix="bench-modes-") as tmp:
        rows = [
            {"size": size, **measure(size, args.seed, args.queries, minilm, Path(tmp))}
            for size in (int(s) for s in args.sizes.split(",") if s.strip())
        ]
    after = machine()
    payload = {
        "benchmark": "retrieval_modes",
        "what": "embedded PersistentClient vs HttpClient to `chroma run` on 127.0.0.1",
        "settings": RetrievalSettings().model_dump(),
        "queries": args.queries,
        "machine_before": before,
        "machine_after": after,
        "load": load.stop(),
        "results": rows,
    }
    path = save("retrieval_modes", payload)
    lines = []
    for r in rows:
        emb, srv = r["latency"]["embedded"], r["latency"]["server"]
        for key, label in OPERATIONS:
            lines.append(
                [
                    r["chunks"],
                    label,
                    emb[key]["p50_ms"],
                    emb[key]["p95_ms"],
                    srv[key]["p50_ms"],
                    srv[key]["p95_ms"],
                    round(srv[key]["p50_ms"] - emb[key]["p50_ms"], 2),
                ]
            )
    print(
        table(
            [
                "chunks",
                "operation",
                "embedded p50 ms",
                "embedded p95 ms",
                "server p50 ms",
                "server p95 ms",
                "server extra p50 ms",
            ],
            lines,
        )
    )
    print()
    print(
        table(
            [
                "chunks",
                "open s (emb / srv)",
                "1st query + BM25 build s (emb / srv)",
                "fetch all chunks s (emb / srv)",
                "same dense results",
                "server RSS MB",
            ],
            [
                [
                    r["chunks"],
                    f"{r['open_s']['embedded']} / {r['open_s']['server']}",
                    f"{r['first_query_with_bm25_build_s']['embedded']} / "
                    f"{r['first_query_with_bm25_build_s']['server']}",
                    f"{r['fetch_all_chunks_s']['embedded']} / {r['fetch_all_chunks_s']['server']}",
                    r["dense_results_identical"],
                    r["server_rss_mb"],
                ]
                for r in rows
            ],
        )
    )
    print(footer("", before, after, payload, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
