"""Aggregate per-question records, overall and per category, and check the regression gate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eval.dataset import HALVES
from eval.metrics import mean, percentile, share
from eval.scoring import QuestionRecord

STAGES = ("retrieve_s", "condense_s", "first_token_s", "generate_s", "verify_s", "total_s")


@dataclass
class Aggregate:
    """Aggregates over a set of records; a metric with nothing to count is None, never 0."""

    n: int
    answerable: int
    unanswerable: int  # plain unanswerables: not answerable, no false premise
    errors: int
    recall: float | None
    mrr: float | None
    false_premise: int = 0
    # Retrieval of false-premise questions against the articles that show what is true: the
    # share with one of them in the top k, and MRR. Not recall: such a fact is often in more
    # articles than k, and a correction needs one.
    correction_hit: float | None = None
    correction_mrr: float | None = None
    accuracy: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    refusal_accuracy: float | None = None
    false_refusal_rate: float | None = None
    wrong_answer_rate: float | None = None
    premise_accepted_rate: float | None = None
    declined_or_corrected: float | None = None
    corrected_rate: float | None = None
    judge_accuracy: float | None = None
    judge_agreement: float | None = None
    latency: dict[str, dict[str, float]] = field(default_factory=dict)


def aggregate(records: Sequence[QuestionRecord]) -> Aggregate:
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable and not r.false_premise]
    false_premise = [r for r in records if r.false_premise]
    scored = [r for r in records if r.correct is not None]
    agg = Aggregate(
        n=len(records),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        errors=sum(r.error is not None for r in records),
        # Over answerable questions only, as before false premises existed, so the retrieval
        # gates and earlier runs stay comparable.
        recall=mean([r.recall for r in answerable if r.recall is not None]),
        mrr=mean([r.mrr for r in answerable if r.mrr is not None]),
        false_premise=len(false_premise),
        correction_hit=mean([float(r.recall > 0) for r in false_premise if r.recall is not None]),
        correction_mrr=mean([r.mrr for r in false_premise if r.mrr is not None]),
        latency=latency(records),
    )
    if scored:
        _add_answer_metrics(agg, scored)
    return agg


def _add_answer_metrics(agg: Aggregate, scored: Sequence[QuestionRecord]) -> None:
    answerable = [r for r in scored if r.answerable]
    unanswerable = [r for r in scored if not r.answerable and not r.false_premise]
    false_premise = [r for r in scored if r.false_premise]
    right = [r for r in answerable if r.correct]
    agg.accuracy = share(sum(bool(r.correct) for r in scored), len(scored))
    agg.citation_precision = share(
        sum(r.citations_supported for r in scored), sum(r.citation_uses for r in scored)
    )
    agg.citation_recall = share(sum(bool(r.cites_expected) for r in right), len(right))
    # `correct` for an unanswerable question means it declined (an errored run did not).
    agg.refusal_accuracy = share(sum(bool(r.correct) for r in unanswerable), len(unanswerable))
    agg.false_refusal_rate = share(sum(r.answered is False for r in answerable), len(answerable))
    agg.wrong_answer_rate = share(sum(bool(r.wrong_answer) for r in scored), len(scored))
    agg.premise_accepted_rate = share(
        sum(bool(r.premise_accepted) for r in false_premise), len(false_premise)
    )
    # The target: nothing to answer as asked, and the contender did not answer (a
    # decline, or a correction, both delivered with `answered` False; an error is neither).
    not_answerable = [*unanswerable, *false_premise]
    agg.declined_or_corrected = share(
        sum(r.answered is False for r in not_answerable), len(not_answerable)
    )
    agg.corrected_rate = share(sum(bool(r.corrected) for r in false_premise), len(false_premise))
    judged = [r for r in scored if r.judge and r.judge.get("correct") is not None]
    if judged:
        agg.judge_accuracy = share(
            sum(bool(r.judge and r.judge["correct"]) for r in judged), len(judged)
        )
        agg.judge_agreement = share(
            sum(bool(r.judge and r.judge["correct"] == r.correct) for r in judged), len(judged)
        )


def latency(records: Sequence[QuestionRecord]) -> dict[str, dict[str, float]]:
    """p50/p95 seconds per stage, over the records that have the stage."""
    out: dict[str, dict[str, float]] = {}
    for stage in STAGES:
        values = [r.timings[stage] for r in records if stage in r.timings and r.error is None]
        p50, p95 = percentile(values, 50), percentile(values, 95)
        if p50 is not None and p95 is not None:
            out[stage] = {"p50": p50, "p95": p95, "n": float(len(values))}
    return out


def by_category(records: Sequence[QuestionRecord]) -> dict[str, Aggregate]:
    categories = sorted({r.category for r in records})
    return {c: aggregate([r for r in records if r.category == c]) for c in categories}


def split_halves(records: Sequence[QuestionRecord]) -> dict[str, list[QuestionRecord]]:
    """The records of each half that has any, dev first (a `--half` run has only one)."""
    halves = {h: [r for r in records if r.half == h] for h in HALVES}
    return {h: rs for h, rs in halves.items() if rs}


@dataclass(frozen=True)
class Gate:
    """A minimum for one overall metric of the system, e.g. `--min-recall 0.9`."""

    metric: str  # an `Aggregate` attribute
    flag: str
    minimum: float


def failed_gates(agg: Aggregate, gates: Sequence[Gate]) -> list[str]:
    """One line per gate that fails; a metric that was not measured fails too, because a gate
    that passes on nothing would wave a regression through."""
    failures = []
    for gate in gates:
        value = getattr(agg, gate.metric)
        if value is None:
            failures.append(
                f"gate failed: {gate.metric} was not measured ({gate.flag} {gate.minimum:g})"
            )
        elif value < gate.minimum:
            failures.append(
                f"gate failed: {gate.metric} {value:.3f} < {gate.flag} {gate.minimum:g}"
            )
    return failures
