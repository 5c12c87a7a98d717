"""Turn one contender's output for one question into a scored, JSON-ready record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eval.corpus import Article
from eval.dataset import EvalQuestion
from eval.metrics import (
    is_correct,
    is_wrong_answer,
    matched_groups,
    premise_accepted,
    recall_at_k,
    reciprocal_rank,
    share,
)
from eval.support import CitationCheck, check_citations, cites_expected_source
from rag.types import Answer, Passage


@dataclass
class QuestionRecord:
    """Everything measured for one question; answer fields stay None in retrieval-only runs."""

    id: str
    category: str
    question: str
    history: list[str]
    answerable: bool
    expected_sources: list[str]
    query: str  # what retrieval was given: the question, the fallback, or the model's rewrite
    retrieved_sources: list[str]
    recall: float | None
    mrr: float | None
    timings: dict[str, float]
    half: str = ""  # "dev" or "test", from the id (eval.dataset.half_of)
    false_premise: bool = False  # the question takes something false for granted
    history_answers: list[str] = field(default_factory=list)
    answer: str | None = None
    answered: bool | None = None
    # The answer corrected a false premise (`Answer.corrected`); `answered` is then False.
    corrected: bool | None = None
    correct: bool | None = None
    # Answered (`answered` True) and wrong: a decline or correction never is; None: no answer ran.
    wrong_answer: bool | None = None
    # False-premise questions only: answered, stating the premise (`premise` regexes).
    premise_accepted: bool | None = None
    missed_facts: list[list[str]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    citation_uses: int = 0
    citations_supported: int = 0
    citation_precision: float | None = None
    cites_expected: bool | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    judge: dict[str, Any] | None = None


def retrieval_record(
    q: EvalQuestion, query: str, passages: list[Passage], seconds: float
) -> QuestionRecord:
    sources = [p.chunk.source for p in passages]
    return QuestionRecord(
        id=q.id,
        category=q.category,
        question=q.question,
        history=list(q.history),
        answerable=q.answerable,
        expected_sources=list(q.expected_sources),
        query=query,
        retrieved_sources=sources,
        recall=recall_at_k(sources, q.expected_sources),
        mrr=reciprocal_rank(sources, q.expected_sources),
        timings={"retrieve_s": seconds},
        half=q.half,
        false_premise=q.false_premise,
    )


def answer_record(
    q: EvalQuestion, answer: Answer, history_answers: list[str], corpus: dict[str, Article]
) -> QuestionRecord:
    record = retrieval_record(q, answer.standalone_question, answer.passages, 0.0)
    checks = check_citations(answer, q, corpus)
    supported = sum(c.supported for c in checks)
    record.timings = dict(answer.timings)
    record.history_answers = history_answers
    record.answer = answer.text
    record.answered = answer.answered
    record.corrected = answer.corrected
    record.correct = is_correct(q.answerable, answer.answered, answer.text, q.facts)
    record.wrong_answer = is_wrong_answer(q.answerable, answer.answered, answer.text, q.facts)
    if q.false_premise:
        record.premise_accepted = premise_accepted(answer.answered, answer.text, q.premise)
    record.missed_facts = [
        list(g)
        for g, hit in zip(q.facts, matched_groups(answer.text, q.facts), strict=True)
        if not hit
    ]
    record.citations = [_check_dict(c) for c in checks]
    record.citation_uses = len(checks)
    record.citations_supported = supported
    record.citation_precision = share(supported, len(checks))
    record.cites_expected = cites_expected_source(answer, q) if q.answerable else None
    record.notes = list(answer.notes)
    return record


def error_record(
    q: EvalQuestion, message: str, history_answers: list[str], *, answers: bool
) -> QuestionRecord:
    """A question the contender failed on: scored as wrong, never silently dropped."""
    record = retrieval_record(q, q.question, [], 0.0)
    record.timings = {}
    record.history_answers = history_answers
    record.error = message
    if answers:
        # Wrong, but not a wrong answer: nothing was answered (nor a premise accepted).
        record.correct = False
        record.answer = ""
        record.wrong_answer = False
        if q.false_premise:
            record.premise_accepted = False
    return record


def _check_dict(c: CitationCheck) -> dict[str, Any]:
    return {
        "n": c.n,
        "sentence": c.sentence,
        "source": c.source,
        "quote": c.quote,
        "supported": c.supported,
        "reason": c.reason,
    }
