"""Answer latency with the embedded model: time to first token and total, p50/p95.

    .venv/bin/python -m bench.answer                 # 12 questions over data/articles
    .venv/bin/python -m bench.answer --questions 5 --threads 2

The full service path: MiniLM + BM25 retrieval over the sample corpus in a fresh Chroma store,
the prompt templates, Qwen2.5-1.5B Q4_K_M through llama-cpp-python, then date repair and
citation verification, after the same warm-up `rag serve` does at startup. "first token" is
measured from the start of `ask` (so it includes retrieval and the model reading the prompt);
a question refused in code (it names something no article mentions) has no model token, and
its first output is the answer itself. "total" ends when the verified answer is ready and
includes the several-passage try the service makes when the model declines the one-passage
prompt. Prompt tokens are counted with the model's own tokenizer (system + user text; the
chat template adds about 15; llama.cpp reuses the cached system prompt, so it reads only the
rest).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.common import Load, Stopwatch, footer, machine, max_rss_mb, percentiles, save, table
from rag.cancellation import Cancellation
from rag.llm.local import LocalModel
from rag.types import Message

TARGET_FIRST_TOKEN_S = 3.0
TARGET_TOTAL_S = 15.0

# Questions about the five sample articles, answerable and not, in the order they are run:
# some answered from one matching passage, some from several (trimmed) passages, some refused.
QUESTIONS = (
    "On what date did Xi and Putin meet at the SCO summit in Astana?",
    "How much additional lending did Xi announce for the Belt and Road Initiative?",
    "How many times have Xi and Putin met in the past ten years?",
    "Which banks will provide the extra Belt and Road lending?",
    "What is the population of the first Mars colony?",
    "On what date did Putin land in Beijing for the Belt and Road forum?",
    "What did Xi say China supports Russia in as the rotating chair of BRICS?",
    "Where will the next SCO summit be held?",
    "Why did Putin visit China in October 2023?",
    "What did Xi and Putin agree about energy and trade?",
    "What was the exact value of China-Russia trade in 2024?",
    "How did Putin describe relations between Russia and China during his May 2024 visit?",
)


class MeteredModel:
    """The embedded model, counting tokens and timing each generation it is asked for."""

    def __init__(self, inner: LocalModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[dict[str, Any]] = []

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Iterator[str]:
        start = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        for piece in self.inner.stream(
            messages, max_tokens=max_tokens, temperature=temperature, cancel=cancel
        ):
            if first is None:
                first = time.perf_counter() - start
            pieces.append(piece)
            yield piece
        total = time.perf_counter() - start
        completion = self.inner.count_tokens("".join(pieces))
        self.calls.append(
            {
                "prompt_tokens": sum(self.inner.count_tokens(m.content) for m in messages),
                "completion_tokens": completion,
                "model_first_token_s": round(first or total, 3),
                "model_total_s": round(total, 3),
                "gen_tokens_per_s": round(completion / (total - (first or 0)), 1)
                if completion > 1 and total > (first or 0)
                else None,
            }
        )

    def ping(self) -> None:
        self.inner.ping()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answer", description=__doc__)
    parser.add_argument(
        "--questions", type=int, default=len(QUESTIONS), help=f"1-{len(QUESTIONS)} (default: all)"
    )
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: all cores)")
    args = parser.parse_args(argv)
    if not 1 <= args.questions <= len(QUESTIONS):
        parser.error(f"--questions must be between 1 and {len(QUESTIONS)}")

    before, cpu = machine(), Load()
    # A fresh data dir, so the benchmark never touches the user's store; the joined model file
    # is shared with the project's cache so it is not joined (1 GB) again.
    data_dir = Path(tempfile.mkdtemp(prefix="bench-answer-"))
    try:
        return _run(args, data_dir, before, cpu)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _run(args: argparse.Namespace, data_dir: Path, before: dict[str, Any], cpu: Load) -> int:
    from rag.factory import build_service
    from rag.llm.model_files import ensure_model_file
    from rag.settings import PROJECT_ROOT, LLMSettings, Settings

    model_path = ensure_model_file(Settings(_env_file=None).model_cache_dir)  # type: ignore[call-arg]
    llm_settings = LLMSettings(backend="local", model_path=model_path, n_threads=args.threads)
    settings = Settings(_env_file=None, data_dir=data_dir, llm=llm_settings)  # type: ignore[call-arg]
    with Stopwatch() as load:
        model = MeteredModel(
            LocalModel(model_path, n_ctx=settings.llm.n_ctx, n_threads=settings.llm.n_threads)
        )
    service = build_service(settings, llm=model)  # type: ignore[arg-type]
    with Stopwatch() as ingest:
        service.ingest([PROJECT_ROOT / "data" / "articles"])
    # What `rag serve` does at startup: the first question should not pay for loading.
    warm_up = service.warm_up()
    rows = []
    for question in QUESTIONS[: args.questions]:
        print(f"asking: {question}", file=sys.stderr)
        first_call = len(model.calls)
        with Stopwatch() as t:
            answer = service.ask(question)
        calls = model.calls[first_call:]
        rows.append(
            {
                "question": question,
                "answer": answer.text,
                "answered": answer.answered,
                "sources": sorted({c.source for c in answer.citations}),
                "first_token_s": round(answer.timings.get("first_token_s", t.s), 3),
                "total_s": round(t.s, 3),
                "retrieve_s": round(answer.timings.get("retrieve_s", 0.0), 4),
                "model_calls": len(calls),
                "focused": any(n.startswith("answering from") for n in answer.notes),
                "prompt_tokens": calls[0]["prompt_tokens"] if calls else 0,
                "prompt_tokens_all_calls": sum(c["prompt_tokens"] for c in calls),
                "completion_tokens": sum(c["completion_tokens"] for c in calls),
                "calls": calls,
            }
        )
    after = machine()
    first = percentiles([r["first_token_s"] for r in rows])
    total = percentiles([r["total_s"] for r in rows])
    payload = {
        "benchmark": "answer",
        "model": model.name,
        "threads": settings.llm.n_threads or "all cores",
        "targets": {"first_token_s": TARGET_FIRST_TOKEN_S, "total_s": TARGET_TOTAL_S},
        "model_load_s": round(load.s, 2),
        "ingest_s": round(ingest.s, 2),
        "warm_up_s": {stage: round(s, 2) for stage, s in warm_up.items()},
        "first_token": first,
        "total": total,
        "maxrss_mb": max_rss_mb(),
        "machine_before": before,
        "machine_after": after,
        "load": cpu.stop(),
        "results": rows,
    }
    path = save("answer", payload)
    print(
        table(
            ["question", "first token s", "total s", "prompt tok", "gen tok", "calls", "answered"],
            [
                [
                    r["question"][:48],
                    r["first_token_s"],
                    r["total_s"],
                    r["prompt_tokens"],
                    r["completion_tokens"],
                    r["model_calls"],
                    "yes" if r["answered"] else "no",
                ]
                for r in rows
            ],
        )
    )
    print()
    print(
        table(
            ["", "p50 s", "p95 s", "target s"],
            [
                [
                    "first token",
                    first["p50_ms"] / 1000,
                    first["p95_ms"] / 1000,
                    TARGET_FIRST_TOKEN_S,
                ],
                ["total", total["p50_ms"] / 1000, total["p95_ms"] / 1000, TARGET_TOTAL_S],
            ],
        )
    )
    lead = f"model {model.name} loaded in {load.s:.1f} s"
    print(footer(lead, before, after, payload, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
