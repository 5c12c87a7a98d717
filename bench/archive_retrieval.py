"""Hybrid retrieval latency on a real archive store, with and without a date filter, and the
plain recipe's dense-only search on the same store.

    .venv/bin/python -m bench.archive_retrieval .rag/eval-archive/store-<key>/system

Times the questions of eval set 2 (`eval/archive/questions.jsonl`) against a store the archive
eval built and cached (`rag eval --set archive --distractors 400`): MiniLM query embedding,
Chroma and the SQLite keyword index, fused, at the answer's pool size
(`RAG_RETRIEVAL__FOCUS_POOL`). Each question is asked three times with a different suffix, so
no query-vector cache hit shortens a timing. Modes: no filter; a March 2017 publication-date
filter; `RagService.retrieve`, the scoped retrieval an answer makes (a question with a period
searches twice); and the plain recipe (`eval/baseline.py`: the question's MiniLM vector, one
Chroma top-k query, k = `RAG_RETRIEVAL__TOP_K`) over the same chunks. `bench.archive_full`
runs the same timings on the whole archive.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import Load, percentiles
from eval.baseline import BaselineRAG
from eval.runner import isolated
from eval.settings import EvalSettings
from rag.embeddings.base import Embedder
from rag.factory import build_embedder, build_service
from rag.service import RagService
from rag.settings import PROJECT_ROOT, RetrievalSettings
from rag.types import Filters

QUESTIONS = PROJECT_ROOT / "eval" / "archive" / "questions.jsonl"
MARCH_2017 = Filters(date_from=date(2017, 3, 1), date_to=date(2017, 3, 31))


def eval_questions(limit: int | None = None) -> list[str]:
    """The questions of eval set 2 in file order, the first `limit` of them if given."""
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    return questions[:limit] if limit else questions


def retrieval_latencies(
    service: RagService,
    embedder: Embedder,
    settings: RetrievalSettings,
    questions: Sequence[str],
    repeats: int = 3,
) -> dict[str, dict[str, float]]:
    """p50/p95/… ms per mode over `questions`, each asked `repeats` times. `embedder` and
    `settings` must be the service's, so both recipes pay the same query embedding."""
    retriever, pool = service.retriever, max(settings.top_k, settings.focus_pool)
    # As the eval builds it (k = top_k), but over the system's own store: the recipe's search,
    # not its splitter, is what is timed here.
    plain = BaselineRAG(
        service.store,  # type: ignore[arg-type]  # only its `query` is used
        embedder,
        lambda: service.llm,
        service.prompts,
        k=settings.top_k,
    )
    retriever.retrieve("warm up", 1)

    def timed(search: Callable[[str], object]) -> dict[str, float]:
        seconds = []
        for repeat in range(repeats):
            for question in questions:
                text = f"{question} ({repeat})" if repeat else question
                started = time.perf_counter()
                search(text)
                seconds.append(time.perf_counter() - started)
        return percentiles(seconds)

    return {
        "hybrid, no filter": timed(lambda q: retriever.retrieve(q, pool, Filters())),
        "hybrid, March 2017 filter": timed(lambda q: retriever.retrieve(q, pool, MARCH_2017)),
        "RagService.retrieve (scoped)": timed(service.retrieve),
        "plain recipe (dense top-k)": timed(plain.retrieve),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.archive_retrieval", description=__doc__)
    parser.add_argument("store", type=Path, help="a cached eval store's system/ folder")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if not (args.store / "chroma").is_dir():
        print(f"error: no store at {args.store}", file=sys.stderr)
        return 2
    settings = isolated(EvalSettings(), args.store)
    embedder = build_embedder(settings)
    service = build_service(settings, llm=None, embedder=embedder)
    load = Load()
    results: dict[str, Any] = {
        "chunks": service.store.count(),
        **retrieval_latencies(
            service, embedder, settings.retrieval, eval_questions(), args.repeats
        ),
        "load": load.stop(),
    }
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
