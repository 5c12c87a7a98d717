"""Hybrid retrieval latency on a real archive store, with and without a date filter.

    .venv/bin/python -m bench.archive_retrieval .rag/eval-archive/store-<key>/system

Times the questions of eval set 2 (`eval/archive/questions.jsonl`) against a store the archive
eval built and cached (`rag eval --set archive --distractors 400`): MiniLM query embedding,
Chroma and the SQLite keyword index, fused, at the answer's pool size
(`RAG_RETRIEVAL__FOCUS_POOL`). Each question is asked three times with a different suffix, so
no query-vector cache hit shortens a timing. Modes: no filter; a March 2017 publication-date
filter; and `RagService.retrieve`, the scoped retrieval an answer makes (a question with a
period searches twice).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from bench.common import Load, percentiles
from eval.runner import isolated
from eval.settings import EvalSettings
from rag.factory import build_service
from rag.settings import PROJECT_ROOT
from rag.types import Filters

QUESTIONS = PROJECT_ROOT / "eval" / "archive" / "questions.jsonl"
MARCH_2017 = Filters(date_from=date(2017, 3, 1), date_to=date(2017, 3, 31))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.archive_retrieval", description=__doc__)
    parser.add_argument("store", type=Path, help="a cached eval store's system/ folder")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if not (args.store / "chroma").is_dir():
        print(f"error: no store at {args.store}", file=sys.stderr)
        return 2
    service = build_service(isolated(EvalSettings(), args.store), llm=None)
    retriever, pool = service.retriever, max(service._top_k, service._focus_pool)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    retriever.retrieve("warm up", 1)

    def timed(search: Callable[[str], object]) -> dict[str, float]:
        seconds = []
        for repeat in range(args.repeats):
            for question in questions:
                text = f"{question} ({repeat})" if repeat else question
                started = time.perf_counter()
                search(text)
                seconds.append(time.perf_counter() - started)
        return percentiles(seconds)

    load = Load()
    results = {
        "chunks": service.store.count(),
        "hybrid, no filter": timed(lambda q: retriever.retrieve(q, pool, Filters())),
        "hybrid, March 2017 filter": timed(lambda q: retriever.retrieve(q, pool, MARCH_2017)),
        "RagService.retrieve (scoped)": timed(service.retrieve),
        "load": load.stop(),
    }
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
