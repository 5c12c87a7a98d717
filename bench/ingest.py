"""Ingest throughput and peak memory at several corpus sizes.

    .venv/bin/python -m bench.ingest                              # hash embedder, 10 and 1,000
    .venv/bin/python -m bench.ingest --sizes 10,1000,50000        # the full run (see README)
    .venv/bin/python -m bench.ingest --embedder minilm --sizes 10,200
    .venv/bin/python -m bench.ingest --embedder minilm --archive WHEEL --sizes 300  # real news

Each size runs in a fresh child process, so `ru_maxrss` (a high-water mark that never goes
down) belongs to that size alone. The child runs the real `Ingestor` over a folder of generated
`.txt` files into a fresh on-disk Chroma store, exactly as `rag ingest` does, with the embedder
and the store wrapped in timers so the time splits into embedding, Chroma writes, Chroma
look-ups and the rest (reading, parsing, date resolution, chunking). With `--archive WHEEL` the
articles are the first N of the news archive instead, streamed as `rag archive` streams them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    Load,
    Stopwatch,
    build_embedder,
    cpu_seconds,
    footer,
    machine,
    max_rss_mb,
    save,
    table,
)
from bench.corpus import write_corpus
from rag.documents.loader import iter_article_paths
from rag.embeddings.base import Embedder
from rag.ingest import Ingestor, IngestReport
from rag.settings import ChunkingSettings
from rag.store.base import VectorStore
from rag.types import Chunk


class TimedEmbedder:
    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seconds = 0.0
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        start = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - start
            self.texts += len(texts)


class TimedStore:
    """Times the writes and the per-document look-ups the ingestor makes; forwards the rest."""

    def __init__(self, inner: VectorStore) -> None:
        self.inner = inner
        self.write_s = 0.0
        self.lookup_s = 0.0

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        start = time.perf_counter()
        try:
            self.inner.upsert(chunks, vectors)
        finally:
            self.write_s += time.perf_counter() - start

    def delete(self, chunk_ids: Sequence[str]) -> None:
        start = time.perf_counter()
        try:
            self.inner.delete(chunk_ids)
        finally:
            self.write_s += time.perf_counter() - start

    def chunk_hashes(self, doc_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        start = time.perf_counter()
        try:
            return self.inner.chunk_hashes(doc_ids)
        finally:
            self.lookup_s += time.perf_counter() - start

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def run_child(
    source: str,
    data_dir: Path,
    embedder_kind: str,
    trace: bool,
    rerun: bool,
    archive: Path | None = None,
) -> dict:
    """One size, in this process: set up, ingest, optionally re-ingest, measure. `source` is
    a folder of articles, or with `archive` how many of the archive's articles to take."""
    from rag.store.chroma import ChromaStore

    with Stopwatch() as setup:
        embedder = TimedEmbedder(build_embedder(embedder_kind))
        store = TimedStore(
            ChromaStore("bench", embedder.name, path=data_dir / "chroma")  # type: ignore[arg-type]
        )
    chunking = ChunkingSettings()
    ingestor = Ingestor(store, embedder, chunking.max_chars, chunking.overlap_chars)  # type: ignore[arg-type]
    if archive is not None:
        from rag.archive import read_archive

        news = read_archive(archive).articles[: int(source)]
        articles = len(news)

        def ingest() -> IngestReport:
            return ingestor.ingest_documents(a.as_document() for a in news)
    else:
        folder = Path(source)
        articles = sum(1 for _ in iter_article_paths([folder]))

        def ingest() -> IngestReport:
            return ingestor.ingest_paths([folder])

    rss_before = max_rss_mb()
    if trace:
        tracemalloc.start()
    cpu_start = cpu_seconds()
    with Stopwatch() as run:
        report = ingest()
    cpu = cpu_seconds() - cpu_start
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    assert report.ok, report.failed[:3]
    result: dict[str, Any] = {
        "articles": articles,
        "chunks": report.chunks_written,
        "setup_s": round(setup.s, 3),
        "ingest_s": round(run.s, 3),
        "chunks_per_s": round(report.chunks_written / run.s, 1),
        "articles_per_s": round(articles / run.s, 1),
        "embed_s": round(embedder.seconds, 3),
        "store_write_s": round(store.write_s, 3),
        "store_lookup_s": round(store.lookup_s, 3),
        # Reading files, parsing, resolving dates, chunking, and the ingestor's own work.
        "other_s": round(run.s - embedder.seconds - store.write_s - store.lookup_s, 3),
        "cpu_s": round(cpu, 2),
        "tracemalloc_peak_mb": round(traced_peak, 1) if traced_peak is not None else None,
        "maxrss_after_setup_mb": rss_before,
        "maxrss_mb": max_rss_mb(),
        "store_count": store.count(),
    }
    if rerun:
        # Re-running `rag ingest` on the same folder must be a no-op; at scale it is one
        # store look-up per article, so its cost is worth knowing.
        with Stopwatch() as again:
            second = ingest()
        assert len(second.unchanged) == articles and second.chunks_written == 0
        result["rerun_noop_s"] = round(again.s, 3)
    result["store_disk_mb"] = round(_disk_mb(data_dir), 1)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--embedder", choices=["hash", "minilm"], default="hash")
    parser.add_argument("--sizes", default="10,1000", help="article counts, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-tracemalloc",
        action="store_true",
        help="skip tracemalloc, which slows Python allocation-heavy code by roughly 1.5-2x",
    )
    parser.add_argument("--no-rerun", action="store_true", help="skip the no-op re-ingest")
    parser.add_argument("--workdir", type=Path, help="where corpora and stores go (default: tmp)")
    parser.add_argument(
        "--archive",
        type=Path,
        metavar="WHEEL",
        help="ingest the first N articles of the news archive in this wheel (`rag archive` "
        "caches it in RAG_DATA_DIR/archive) instead of generated ones",
    )
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = run_child(
            args.child[0],
            Path(args.child[1]),
            args.embedder,
            not args.no_tracemalloc,
            not args.no_rerun,
            args.archive,
        )
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    before = machine()
    load = Load()
    rows: list[dict[str, Any]] = []
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"bench-ingest-{size}-", dir=args.workdir))
        try:
            child = [sys.executable, "-m", "bench.ingest", "--embedder", args.embedder]
            child += ["--no-tracemalloc"] if args.no_tracemalloc else []
            child += ["--no-rerun"] if args.no_rerun else []
            if args.archive:
                child += ["--archive", str(args.archive), "--child", str(size)]
                print(f"{size} archive articles; ingesting…", file=sys.stderr)
            else:
                with Stopwatch() as gen:
                    write_corpus(work / "articles", size, args.seed)
                print(f"{size} articles generated in {gen.s:.1f} s; ingesting…", file=sys.stderr)
                child += ["--child", str(work / "articles")]
            child += [str(work / "data")]
            done = subprocess.run(child, capture_output=True, text=True, check=False)
            line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if done.returncode != 0 or line is None:
                print(done.stderr[-4000:], file=sys.stderr)
                raise SystemExit(f"size {size}: child failed with exit code {done.returncode}")
            rows.append({"size": size, **json.loads(line[len("RESULT ") :])})
        finally:
            shutil.rmtree(work, ignore_errors=True)
    after = machine()
    payload = {
        "benchmark": "ingest",
        "embedder": args.embedder,
        "corpus": f"archive {args.archive}" if args.archive else "generated",
        "tracemalloc": not args.no_tracemalloc,
        "chunking": ChunkingSettings().model_dump(),
        "machine_before": before,
        "machine_after": after,
        "load": load.stop(),
        "results": rows,
    }
    path = save(f"ingest-{args.embedder}{'-archive' if args.archive else ''}", payload)
    print(
        table(
            [
                "articles",
                "chunks",
                "ingest s",
                "chunks/s",
                "embed s",
                "chroma write s",
                "chroma lookup s",
                "parse+chunk s",
                "tracemalloc MB",
                "maxrss MB",
                "re-run s",
            ],
            [
                [
                    r["articles"],
                    r["chunks"],
                    r["ingest_s"],
                    r["chunks_per_s"],
                    r["embed_s"],
                    r["store_write_s"],
                    r["store_lookup_s"],
                    r["other_s"],
                    r["tracemalloc_peak_mb"] if r["tracemalloc_peak_mb"] is not None else "-",
                    r["maxrss_mb"],
                    r.get("rerun_noop_s", "-"),
                ]
                for r in rows
            ],
        )
    )
    print(footer(f"embedder={args.embedder}", before, after, payload, path))
    return 0


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


if __name__ == "__main__":
    sys.exit(main())
