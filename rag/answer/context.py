"""The one value the answer steps read and write: a question, analysed once, and its evidence.

`AnswerContext` is built once per question by `RagService`. The question's analysis (terms,
answer kind, time scope) is computed once, on first use after the step that provides its input,
and handed to every later step as typed values; no step re-parses the question. Sentence
splitting of a chunk is shared the same way (`rag.text.sentences` keeps each chunk's split), so
the several checks that look at one chunk's sentences split it once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from rag.answer.compose.render import render
from rag.answer.compose.verified import Verified
from rag.answer.evidence.date_solver import DatedQuestion
from rag.answer.evidence.matching import SentenceMatch, sentence_matches
from rag.answer.evidence.support import Judge
from rag.answer.prompts import Prompts
from rag.answer.question.analysis import AnalysedQuestion
from rag.cancellation import Cancellation
from rag.llm.base import ChatModel, UsageMeter
from rag.retrieval.base import Retriever
from rag.store.base import VectorStore
from rag.text.nlp import Pipeline
from rag.text.terms import QuestionTerms
from rag.text.time_phrases import TimeScope
from rag.types import Answer, Filters, Passage, Turn


@dataclass(frozen=True)
class AnswerSettings:
    """The knobs of answering (`Settings.retrieval` / `Settings.llm`, via `RagService`)."""

    top_k: int = 4  # passages in the several-passage prompt
    focus_pool: int = 16  # passages searched for the one sentence that answers
    excerpt_chars: int = 0  # per-passage prompt budget; 0 = whole chunks
    max_tokens: int = 320
    temperature: float = 0.0


@dataclass(frozen=True)
class AnswerParts:
    """What the steps call out to: the store, retrieval, the (lazily loaded) model, prompts."""

    store: VectorStore
    retriever: Retriever
    llm: Callable[[], ChatModel]
    prompts: Prompts
    settings: AnswerSettings
    nlp: Pipeline


@dataclass
class AnswerContext:
    """One question on its way to an answer. Steps fill it in order (`pipeline.STEPS`); a step
    that settles the answer calls `finish`, and only the checks every answer gets run after."""

    question: str  # as asked, stripped
    history: list[Turn]
    filters: Filters | None
    as_of: date | None
    parts: AnswerParts
    meter: UsageMeter
    cancel: Cancellation | None = None
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # rewrite_follow_up
    standalone: str = ""
    # retrieve_in_scope
    scope: TimeScope | None = None
    pool: list[Passage] = field(default_factory=list)  # the wider pool sentences are matched in
    passages: list[Passage] = field(default_factory=list)  # the prompt's, then the cited ones
    # compute_in_code: when generating began (the `generate_s` timing)
    generating_since: float = 0.0
    # pick_focus
    matches: list[SentenceMatch] = field(default_factory=list)
    focus: int | None = None  # pool index of the passage whose sentence answers
    newest: int | None = None  # pool index of the newest answering article ("latest")
    quotable: list[SentenceMatch] = field(default_factory=list)
    # draft_answer and after
    verified: Verified | None = None
    quoted: Verified | None = None  # set when the answer is a quote from a source sentence
    declined: bool = False  # the draft did not answer and no sentence could be quoted
    # finish
    answer: Answer | None = None
    _articles: dict[str, str] = field(default_factory=dict)

    # --- the question, analysed once -------------------------------------------------------

    @cached_property
    def terms(self) -> QuestionTerms:
        """The standalone question's weighted words (prompt excerpts, the date solver)."""
        return QuestionTerms.of(self._standalone())

    @cached_property
    def match_terms(self) -> QuestionTerms:
        """The words sentences are matched on: time phrases left out, since retrieval already
        holds to the period and no answering sentence needs to say "latest"."""
        scope = self.time_scope
        return QuestionTerms.of(scope.stripped) if scope.found else self.terms

    @cached_property
    def dates(self) -> DatedQuestion:
        """The date solver's findings for this question, each worked out once; its event is
        the question's predicate ("When did he die?" is dated by a death, not a shooting)."""
        premise = self.analysed.premise
        event = premise.stated_in if premise.predicate else None
        return DatedQuestion(self._standalone(), self.terms, event)

    @cached_property
    def analysed(self) -> AnalysedQuestion:
        """Answer type and premise, from the spaCy parse of the standalone question."""
        return AnalysedQuestion.of(self._standalone(), self.parts.nlp)

    @property
    def time_scope(self) -> TimeScope:
        if self.scope is None:
            raise RuntimeError("the time scope is set by the retrieve_in_scope step")
        return self.scope

    @property
    def so_far(self) -> Verified:
        if self.verified is None:
            raise RuntimeError("the draft is set by the draft_answer step")
        return self.verified

    def _standalone(self) -> str:
        if not self.standalone:
            raise RuntimeError("the standalone question is set by the rewrite_follow_up step")
        return self.standalone

    # --- passages ---------------------------------------------------------------------------

    @cached_property
    def judge(self) -> Judge:
        """Whether pool sentences answer the question and back an answer's statements."""
        return Judge(self.analysed, self.pool, self.parts.nlp, self.article_text)

    def pool_matches(self) -> list[SentenceMatch]:
        """Every sentence of the pool scored against the question, worked out once."""
        if not self.matches and self.pool:
            self.matches = sentence_matches(self.match_terms, self.pool, self.article_text)
        return self.matches

    def article_text(self, passage: Passage) -> str:
        """The whole article a passage is from, read from the store once per question."""
        doc_id = passage.chunk.doc_id
        if doc_id not in self._articles:
            chunks = self.parts.store.chunks(doc_id)
            self._articles[doc_id] = "\n".join(c.text for c in chunks)
        return self._articles[doc_id]

    def include(self, chunk_ids: set[str]) -> None:
        """Add the pool's passages with these chunk ids to the answer's passages (what it cites
        must be among them), keeping their order."""
        self.passages += [
            p for p in self.pool if p.chunk.chunk_id in chunk_ids and p not in self.passages
        ]

    # --- the end ----------------------------------------------------------------------------

    def finish(self, verified: Verified) -> None:
        """Settle the answer, rendered here once: the remaining steps are skipped, except the
        checks every answer gets (`pipeline.on_every_answer`)."""
        self.timings["total_s"] = time.perf_counter() - self.started
        rendered = render(verified.statements)
        self.answer = Answer(
            text=rendered.text,
            citations=rendered.citations,
            statements=rendered.statements,
            passages=self.passages,
            answered=verified.answered,
            corrected=verified.corrected,
            standalone_question=self.standalone,
            timings=self.timings,
            notes=self.notes + verified.notes,
        )
