"""Run the selected questions through the system (and the baseline) on a fresh store; score them.

The runner translates; it does not decide. Answers come from `RagService.ask`, exactly as the
CLI, API and Slack bot get them; a follow-up question gets the answers the system gave to the
earlier questions of its conversation as history.
"""

from __future__ import annotations

import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.aggregate import Aggregate, aggregate, by_category, split_halves
from eval.baseline import CHUNK_OVERLAP, CHUNK_SIZE, COLLECTION, BaselineRAG
from eval.contenders import Contender, SystemContender, followup_query
from eval.corpus import Article, check_expected_sources, load_corpus
from eval.dataset import HALVES, EvalQuestion, QuestionSet
from eval.judge import Judge
from eval.provenance import git_state
from eval.scoring import QuestionRecord, answer_record, error_record, retrieval_record
from eval.store_cache import BUILT_MARKER
from rag.answer.prompts import Prompts
from rag.embeddings.base import Embedder
from rag.errors import InvalidInput, RagError
from rag.factory import build_embedder, build_llm, build_service
from rag.llm.base import ChatModel
from rag.service import RagService
from rag.settings import PROJECT_ROOT, Settings
from rag.store.chroma import ChromaStore
from rag.types import Turn


@dataclass(frozen=True)
class RunPlan:
    """What to run: chosen on the command line, carried into the results' metadata."""

    question_set: QuestionSet
    questions: list[EvalQuestion]
    corpus: Path
    retrieval_only: bool = False
    baseline_answers: bool = False  # --baseline; the baseline's retrieval is always measured
    selection: dict[str, Any] = field(default_factory=dict)
    corpus_info: dict[str, Any] = field(default_factory=dict)  # e.g. the archive subset


@dataclass
class RunResult:
    metadata: dict[str, Any]
    records: dict[str, list[QuestionRecord]]  # by contender name: "system", "baseline"
    overall: dict[str, Aggregate]
    categories: dict[str, dict[str, Aggregate]]
    # By contender, then half ("dev", "test"; only the halves the run holds).
    halves: dict[str, dict[str, Aggregate]] = field(default_factory=dict)
    half_categories: dict[str, dict[str, dict[str, Aggregate]]] = field(default_factory=dict)

    def answers(self, contender: str) -> bool:
        return any(r.correct is not None for r in self.records.get(contender, []))


def summarize(metadata: dict[str, Any], records: dict[str, list[QuestionRecord]]) -> RunResult:
    """Every aggregate of a run: overall and per category, for the whole run and per half."""
    halves = {name: split_halves(rs) for name, rs in records.items()}
    return RunResult(
        metadata=metadata,
        records=records,
        overall={name: aggregate(rs) for name, rs in records.items()},
        categories={name: by_category(rs) for name, rs in records.items()},
        halves={name: {h: aggregate(rs) for h, rs in hs.items()} for name, hs in halves.items()},
        half_categories={
            name: {h: by_category(rs) for h, rs in hs.items()} for name, hs in halves.items()
        },
    )


def run(
    plan: RunPlan,
    settings: Settings,
    store_dir: Path,
    *,
    embedder: Embedder | None = None,
    llm: ChatModel | None = None,
    judge: Judge | None = None,
    progress: bool = True,
    reuse_store: bool = False,
) -> RunResult:
    """Ingest the corpus into fresh stores under `store_dir`, then ask every question.

    With `reuse_store`, `store_dir` is a cache the caller keyed on corpus, embedder and store
    code (`eval.store_cache`): the system's ingest skips what is already stored, and a
    completely built baseline collection is opened instead of rebuilt.
    """
    started, clock = datetime.now(UTC), time.perf_counter()
    corpus = load_corpus(plan.corpus)
    check_expected_sources(plan.questions, corpus, plan.question_set.path)
    embedder = embedder or build_embedder(settings)
    if llm is None and not plan.retrieval_only:
        # Built from the caller's settings, not the temporary ones: the local model file is
        # cached under the real data dir and must not be re-assembled for every run.
        llm = build_llm(settings)
    service = build_service(isolated(settings, store_dir / "system"), llm=llm, embedder=embedder)
    ingest_s = _ingest(service, plan.corpus)
    if not plan.retrieval_only:
        # As `rag serve` does at startup, so q001's latency is not the model loading.
        service.warm_up()
    baseline, baseline_reused = _baseline(plan, settings, service, embedder, store_dir, reuse_store)
    runs: list[tuple[Contender, bool]] = [
        (SystemContender(service), not plan.retrieval_only),
        (baseline, plan.baseline_answers and not plan.retrieval_only),
    ]
    records = _run_all(runs, plan.questions, corpus, judge, progress)
    metadata = _metadata(plan, settings, service, embedder, judge, corpus, ingest_s)
    metadata["corpus"]["store"] = {
        "cached": reuse_store,
        "path": _display(store_dir) if reuse_store else None,
        "baseline_reused": baseline_reused,
    }
    metadata["started_at"] = started.isoformat(timespec="seconds")
    metadata["duration_s"] = round(time.perf_counter() - clock, 2)
    return summarize(metadata, records)


def isolated(settings: Settings, data_dir: Path) -> Settings:
    """The caller's settings on a private, on-disk store: an eval never touches a real one."""
    store = settings.store.model_copy(update={"host": None, "collection": "eval"})
    return settings.model_copy(update={"data_dir": data_dir, "store": store})


def _baseline(
    plan: RunPlan,
    settings: Settings,
    service: RagService,
    embedder: Embedder,
    store_dir: Path,
    reuse_store: bool,
) -> tuple[BaselineRAG, bool]:
    """The baseline over `store_dir/baseline`: reopened when a cached build completed, else
    built from scratch (a half-built cached collection is discarded first)."""
    folder = store_dir / "baseline"
    options: dict[str, Any] = {
        "k": settings.retrieval.top_k,
        "max_tokens": settings.llm.max_tokens,
        "temperature": settings.llm.temperature,
    }
    prompts = Prompts(settings.prompts_dir)
    if reuse_store and (folder / BUILT_MARKER).is_file():
        store = ChromaStore(COLLECTION, embedder.name, path=folder)
        return BaselineRAG(store, embedder, lambda: service.llm, prompts, **options), True
    if reuse_store:
        shutil.rmtree(folder, ignore_errors=True)
    baseline = BaselineRAG.build(
        folder, plan.corpus, embedder, lambda: service.llm, prompts, **options
    )
    if reuse_store:
        (folder / BUILT_MARKER).write_text("complete\n")
    return baseline, False


def _ingest(service: RagService, corpus: Path) -> float:
    t = time.perf_counter()
    report = service.ingest([corpus])
    for source, reason in report.failed:
        print(f"eval: skipped {source}: {reason}", file=sys.stderr)
    if service.store.count() == 0:
        raise InvalidInput(f"nothing could be ingested from {corpus}")
    return round(time.perf_counter() - t, 3)


def _run_all(
    runs: list[tuple[Contender, bool]],
    questions: list[EvalQuestion],
    corpus: dict[str, Article],
    judge: Judge | None,
    progress: bool,
) -> dict[str, list[QuestionRecord]]:
    from tqdm import tqdm

    records: dict[str, list[QuestionRecord]] = {}
    # tqdm hides itself when stderr is not a terminal, so CI logs stay clean.
    with tqdm(
        total=len(runs) * len(questions),
        unit="q",
        disable=None if progress else True,
        file=sys.stderr,
    ) as bar:
        for contender, answers in runs:
            bar.set_description(contender.name)
            out = records.setdefault(contender.name, [])
            for q in questions:
                out.append(score_question(contender, q, answers, corpus, judge))
                bar.update()
    return records


def score_question(
    contender: Contender,
    q: EvalQuestion,
    answers: bool,
    corpus: dict[str, Article],
    judge: Judge | None = None,
) -> QuestionRecord:
    """One question: retrieval only, or the whole conversation then the final answer."""
    if not answers:
        return _retrieval_only(contender, q)
    history: list[Turn] = []
    try:
        for earlier in q.history:
            history.append(Turn(earlier, contender.ask(earlier, list(history)).text))
        answer = contender.ask(q.question, list(history))
    except RagError as exc:
        return error_record(q, str(exc), [t.answer for t in history], answers=True)
    record = answer_record(q, answer, [t.answer for t in history], corpus)
    if judge is not None:
        record.judge = _judge(judge, q, answer.text)
    return record


def _retrieval_only(contender: Contender, q: EvalQuestion) -> QuestionRecord:
    query = followup_query(q.question, q.history)
    t = time.perf_counter()
    try:
        passages = contender.retrieve(query)
    except RagError as exc:
        return error_record(q, str(exc), [], answers=False)
    return retrieval_record(q, query, passages, time.perf_counter() - t)


def _judge(judge: Judge, q: EvalQuestion, answer: str) -> dict[str, Any]:
    try:
        verdict = judge.grade(q, answer)
    except RagError as exc:
        return {"correct": None, "reason": f"judge failed: {exc}"}
    return {"correct": verdict.correct, "reason": verdict.reason}


def _metadata(
    plan: RunPlan,
    settings: Settings,
    service: RagService,
    embedder: Embedder,
    judge: Judge | None,
    corpus: dict[str, Article],
    ingest_s: float,
) -> dict[str, Any]:
    qs = plan.question_set
    return {
        "mode": "retrieval-only" if plan.retrieval_only else "full",
        "question_set": {
            "path": _display(qs.path),
            "name": qs.name,
            "version": qs.version,
            "sha256": qs.sha256,
            "total": len(qs.questions),
            "selected": len(plan.questions),
            "selection": plan.selection,
            # Which half each question is in is fixed by its id (eval.dataset.half_of).
            "halves": {h: sum(q.half == h for q in plan.questions) for h in HALVES},
        },
        "git": git_state(PROJECT_ROOT),
        "corpus": {
            "path": _display(plan.corpus),
            "articles": len(corpus),
            "system_chunks": service.store.count(),
            "ingest_s": ingest_s,
            **plan.corpus_info,
        },
        "model": None if plan.retrieval_only else service.llm.name,
        "judge": judge.model.name if judge else None,
        "settings": settings_summary(settings, embedder),
        "baseline": {
            "recipe": f"RecursiveCharacterTextSplitter({CHUNK_SIZE}/{CHUNK_OVERLAP}) + Chroma "
            "cosine top-k + prompts/baseline_answer.j2",
            "answers": plan.baseline_answers and not plan.retrieval_only,
        },
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def settings_summary(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """The settings that change results; never secrets."""
    return {
        "embedding": {"backend": settings.embedding.backend, "model": embedder.name},
        "llm": {
            "backend": settings.llm.backend,
            "model": settings.llm.model if settings.llm.backend == "openai" else None,
            "model_path": str(settings.llm.model_path) if settings.llm.model_path else None,
            "max_tokens": settings.llm.max_tokens,
            "temperature": settings.llm.temperature,
        },
        "retrieval": settings.retrieval.model_dump(),
        "chunking": settings.chunking.model_dump(),
    }


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
