"""The one service object that the CLI, HTTP API, Slack bot and eval runner all call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rag import date_answers
from rag.answer.answerability import AnalysedQuestion, adds_answer
from rag.answer.computed import computed_answer
from rag.answer.figures import reconcile
from rag.answer.latest import attribute, newest_answering
from rag.answer.quote_fallback import quote_answer
from rag.answer.still_stored import keep_stored
from rag.answer.time_scope import retrieve_scoped
from rag.cancellation import Cancellation
from rag.citations import REFUSAL_MARKER, REFUSAL_TEXT, Verified, verify_answer
from rag.conversations import ConversationStore
from rag.errors import EmptyCorpus, InvalidInput, NotFound
from rag.excerpts import trim_to_question
from rag.ingest import Ingestor, IngestReport
from rag.llm.base import ChatModel, UsageMeter
from rag.matching import QuestionTerms, SentenceMatch, sentence_matches
from rag.prompts import Prompts
from rag.questions import EMPTY_QUESTION, is_blank
from rag.retrieval.hybrid import HybridRetriever
from rag.store.base import StoredDocument, VectorStore
from rag.types import Answer, Document, Filters, Message, Passage, Turn

log = logging.getLogger("newsrag")


@dataclass(frozen=True)
class Token:
    """A piece of the answer as the model writes it (before verification)."""

    text: str


@dataclass(frozen=True)
class Final:
    """The verified answer; replaces whatever the tokens spelled."""

    answer: Answer


StreamEvent = Token | Final


def final_answer(events: Iterable[StreamEvent]) -> Answer:
    """Drain a stream to its verified answer."""
    answer = None
    for event in events:
        if isinstance(event, Final):
            answer = event.answer
    if answer is None:
        raise RuntimeError("the answer stream ended without a final answer")
    return answer


# Share of a question's words one sentence must hold for the one-passage prompt to be used.
FOCUS_MIN_COVERAGE = 0.6


class RagService:
    """Ingest articles, answer questions with verified citations, keep conversations.

    >>> service.ask("On what date did Xi and Putin meet at the SCO summit in Astana?").text
    'Xi and Putin met on 3 July 2024 in Astana [1].'
    """

    def __init__(
        self,
        store: VectorStore,
        retriever: HybridRetriever,
        ingestor: Ingestor,
        llm: Callable[[], ChatModel],
        prompts: Prompts,
        conversations: ConversationStore | None = None,
        top_k: int = 4,
        focus_pool: int = 16,
        excerpt_chars: int = 0,
        max_tokens: int = 320,
        temperature: float = 0.0,
        max_question_chars: int = 2000,
    ) -> None:
        self.store = store
        self.retriever = retriever
        self.ingestor = ingestor
        self.prompts = prompts
        self.conversations = conversations
        self._llm_factory = llm
        self._llm: ChatModel | None = None
        self._llm_lock = threading.Lock()
        self._top_k = top_k
        self._focus_pool = focus_pool
        self._excerpt_chars = excerpt_chars
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._max_question_chars = max_question_chars

    @property
    def llm(self) -> ChatModel:
        """Loaded on first use: ingest and retrieval never pay for the model."""
        with self._llm_lock:
            if self._llm is None:
                self._llm = self._llm_factory()
            return self._llm

    # --- documents -------------------------------------------------------------------------

    def ingest(
        self, paths: list[Path], progress: Callable[[str], None] | None = None
    ) -> IngestReport:
        return self.ingestor.ingest_paths(paths, progress)

    def ingest_documents(
        self, docs: Iterable[Document], progress: Callable[[str], None] | None = None
    ) -> IngestReport:
        """Ingest documents made elsewhere (the news archive), streamed in batches."""
        return self.ingestor.ingest_documents(docs, progress)

    def add_document(self, data: bytes, source: str) -> tuple[StoredDocument, IngestReport]:
        doc, report = self.ingestor.ingest_bytes(data, source)
        stored = next(d for d in self.store.documents() if d.doc_id == doc.doc_id)
        return stored, report

    def documents(self) -> list[StoredDocument]:
        return self.store.documents()

    def document(self, doc_id: str) -> StoredDocument:
        doc = next((d for d in self.store.documents() if d.doc_id == doc_id), None)
        if doc is None:
            raise NotFound(f"document {doc_id!r} not found")
        return doc

    def delete_document(self, doc_id: str) -> StoredDocument:
        doc = self.document(doc_id)
        # All or nothing: the store reads back what a failed delete did; the keyword index
        # follows the store's delete (`KeywordIndexedStore`).
        self.store.delete([c.chunk_id for c in self.store.chunks(doc_id)])
        return doc

    # --- questions -------------------------------------------------------------------------

    def retrieve(
        self, question: str, filters: Filters | None = None, as_of: date | None = None
    ) -> list[Passage]:
        """The passages an answer to `question` would be given: the same scoped retrieval as
        `ask` (time scope, `as_of` cap, newest first for "latest", distinct articles)."""
        self.check_question(question)
        self._check_corpus()
        scoped = retrieve_scoped(
            self.retriever.retrieve,
            question.strip(),
            self.retriever.newest_date(),
            self._top_k,
            self._focus_pool,
            filters,
            as_of,
        )
        return scoped.passages[: self._top_k]

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
        cancel: Cancellation | None = None,
    ) -> Answer:
        return final_answer(self.ask_stream(question, history, filters, as_of, cancel))

    def ask_stream(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
        cancel: Cancellation | None = None,
    ) -> Iterator[StreamEvent]:
        """Model tokens as they come, then one `Final` with the verified answer and the tokens
        its model calls took.

        `as_of`: answer as of that day (no later article; "last week" counts back from it);
        without it relative phrases count back from the newest article's date.

        When `cancel` is set (the asker left), the stream ends with `QuestionCancelled` at the
        next step: before retrieval, while waiting for the model, or between model tokens.
        """
        meter = UsageMeter()
        # Each layer closes the one below when closed itself, down to the model's stream.
        with closing(self._ask_stream(question, history, filters, as_of, meter, cancel)) as events:
            for event in events:
                yield (
                    Final(replace(event.answer, usage=meter.usage))
                    if isinstance(event, Final)
                    else event
                )

    def _ask_stream(
        self,
        question: str,
        history: list[Turn] | None,
        filters: Filters | None,
        as_of: date | None,
        meter: UsageMeter,
        cancel: Cancellation | None,
    ) -> Iterator[StreamEvent]:
        self.check_question(question)
        self._check_corpus()
        if cancel is not None:
            cancel.raise_if_cancelled()
        timings: dict[str, float] = {}
        started = time.perf_counter()
        standalone = self._standalone(question.strip(), history or [], timings, meter, cancel)
        missing = self.retriever.unknown_names(standalone)
        if missing:
            # No article names it, so none can answer: say so now instead of spending seconds of
            # model time on a refusal the small model might not even make.
            timings["total_s"] = time.perf_counter() - started
            text = f"{REFUSAL_TEXT[:-1]}: none of them mentions {_and_list(missing)}."
            notes = [f"not in any article: {', '.join(missing)}"]
            yield Final(Answer(text, [], [], False, standalone, timings, notes))
            return
        t = time.perf_counter()
        # The question's time phrases, parsed once: where to look and whether newest wins.
        # The same scoped retrieval as `retrieve`, so the two never disagree on passages.
        scoped = retrieve_scoped(
            self.retriever.retrieve,
            standalone,
            self.retriever.newest_date(),
            self._top_k,
            self._focus_pool,
            filters,
            as_of,
        )
        scope, pool = scoped.scope, scoped.passages
        notes: list[str] = [f"time scope: {scope.describe()}"] if scope.found else []
        passages = pool[: self._top_k]
        timings["retrieve_s"] = time.perf_counter() - t
        if not passages:
            answer = Answer(REFUSAL_TEXT, [], [], False, standalone, timings, notes)
            timings["total_s"] = time.perf_counter() - started
            yield Final(answer)
            return
        t = time.perf_counter()
        computed = computed_answer(standalone, pool)
        if computed is not None:
            # Subtraction and solved dates are code's job: the dates come from their passages,
            # the model never sees the question.
            cited = {c.chunk_id for c in computed.citations}
            passages += [p for p in pool if p.chunk.chunk_id in cited and p not in passages]
            timings["total_s"] = time.perf_counter() - started
            yield Final(
                self._still_stored(
                    Answer(
                        computed.text,
                        computed.citations,
                        passages,
                        True,
                        standalone,
                        timings,
                        notes + computed.notes,
                    )
                )
            )
            return
        analysed = AnalysedQuestion.of(standalone)
        # Sentence-level matching over a wider pool than the prompt takes: a chunk ranked
        # fifth may hold the one sentence that answers. Time phrases are left out: retrieval
        # already holds to the period, and no answering sentence needs to say "latest".
        matches = self._matches(scope.stripped if scope.found else standalone, pool)
        focus = _focus(matches)
        newest = newest_answering(analysed, pool, matches) if scope.latest else None
        quotable = matches
        if newest is not None:
            # "Latest": of the articles that answer, the newest one answers.
            focus = newest
            quotable = [m for m in matches if m.passage_index == newest]
        if focus is not None and pool[focus] not in passages:
            passages = [*passages, pool[focus]]
        if focus is not None:
            # One sentence names everything the question asks about: a one-passage prompt is
            # short (fast first token) and the small model stops declining answers that are
            # right there; the citation check still applies.
            notes.append(f"answering from {pool[focus].chunk.chunk_id}, whose sentence matches")
            verified = yield from self._answer(
                standalone,
                [pool[focus]],
                notes,
                timings,
                started,
                meter,
                cancel,
                "answer_focused",
            )
        else:
            verified = yield from self._answer(
                standalone, passages, notes, timings, started, meter, cancel
            )
        quoted: Verified | None = None
        if not verified.answered or not adds_answer(analysed, verified.text):
            if verified.answered:
                notes.append(f"the draft adds nothing to the question: {verified.text!r}")
            # The model declined, or what it said did not survive the checks: a source sentence
            # that answers is quoted instead of a wrong "not in the articles". Only the
            # three-passage prompt is tried when no sentence answers; one call is the norm.
            quoted = quote_answer(analysed, pool, quotable, date_answers.solve(standalone, pool))
            if quoted is not None:
                notes += verified.notes
                verified = quoted
                cited = next(p for p in pool if p.chunk.chunk_id == quoted.citations[0].chunk_id)
                if cited not in passages:
                    passages = [*passages, cited]
            elif focus is not None:
                verified = yield from self._answer(
                    standalone, passages, notes, timings, started, meter, cancel
                )
                if verified.answered and not adds_answer(analysed, verified.text):
                    notes.append(f"the draft adds nothing to the question: {verified.text!r}")
                    verified = Verified(REFUSAL_TEXT, [], answered=False, notes=verified.notes)
            else:
                verified = Verified(REFUSAL_TEXT, [], answered=False, notes=verified.notes)
        if newest is not None:
            verified = attribute(verified, pool[newest].chunk)
        # Other outlets' figures for the same count: cite those that agree, name those that differ.
        # A quote is one article's words: other articles' markers after it would misattribute.
        verified = reconcile(
            verified, analysed, pool, matches, newer_only=scope.latest, agreeing=quoted is None
        )
        cited_ids = {c.chunk_id for c in verified.citations}
        passages += [p for p in pool if p.chunk.chunk_id in cited_ids and p not in passages]
        timings["generate_s"] = time.perf_counter() - t
        timings["total_s"] = time.perf_counter() - started
        yield Final(
            self._still_stored(
                Answer(
                    text=verified.text,
                    citations=verified.citations,
                    passages=passages,
                    answered=verified.answered,
                    standalone_question=standalone,
                    timings=timings,
                    notes=notes + verified.notes,
                )
            )
        )

    def _answer(
        self,
        question: str,
        passages: list[Passage],
        notes: list[str],
        timings: dict[str, float],
        started: float,
        meter: UsageMeter,
        cancel: Cancellation | None,
        template: str = "answer_user",
    ) -> Generator[StreamEvent, None, Verified]:
        """Generate a draft (streaming its tokens), then fix dates and citations in code."""
        dated = date_answers.solve(question, passages)
        terms = QuestionTerms.of(question)
        excerpts = [
            trim_to_question(p.chunk.annotated, terms, self._excerpt_chars) for p in passages
        ]
        user_prompt = self.prompts.render(
            template, passages=passages, excerpts=excerpts, question=question, date_hint=dated
        )
        messages = [
            Message("system", self.prompts.render("answer_system")),
            Message("user", user_prompt),
        ]
        pieces: list[str] = []
        sending = False  # held back while the draft could still be the refusal marker
        model_stream = meter.stream(
            self.llm,
            messages,
            max_tokens=self._max_tokens,
            temperature=self._temperature,
            cancel=cancel,
        )
        # Closed explicitly: a stream abandoned at a `yield` below still holds the model's turn.
        with closing(model_stream):
            for piece in model_stream:
                pieces.append(piece)
                if sending:
                    yield Token(piece)
                elif not _may_become_refusal("".join(pieces)):
                    sending = True
                    timings.setdefault("first_token_s", time.perf_counter() - started)
                    yield Token("".join(pieces))
        draft = "".join(pieces)
        notes.append(f"model draft: {draft.strip()!r}")
        if dated is not None:
            repaired = date_answers.apply(draft, dated)
            if repaired != draft:
                notes.append(f"date set in code from passage [{dated.passage_index + 1}]")
            draft = repaired
        t = time.perf_counter()
        verified = verify_answer(draft, passages)
        timings["verify_s"] = timings.get("verify_s", 0.0) + time.perf_counter() - t
        return verified

    def _matches(self, question: str, passages: list[Passage]) -> list[SentenceMatch]:
        """Every sentence of the pool scored against the question; names count as present when
        their article has them anywhere (the forum named in paragraph one)."""
        terms = QuestionTerms.of(question)
        articles: dict[str, str] = {}

        def article_text(p: Passage) -> str:
            if p.chunk.doc_id not in articles:
                chunks = self.store.chunks(p.chunk.doc_id)
                articles[p.chunk.doc_id] = "\n".join(c.text for c in chunks)
            return articles[p.chunk.doc_id]

        return sentence_matches(terms, passages, article_text)

    def chat(
        self,
        question: str,
        conversation_id: str | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
        cancel: Cancellation | None = None,
    ) -> Iterator[StreamEvent]:
        """`ask_stream` with history loaded from and saved to the conversation store."""
        assert self.conversations is not None, "chat needs a ConversationStore"
        history = self.conversations.history(conversation_id) if conversation_id else []
        with closing(self.ask_stream(question, history, filters, as_of, cancel)) as events:
            for event in events:
                if isinstance(event, Final) and conversation_id:
                    citations = [
                        {"n": c.n, "source": c.source, "start": c.start, "end": c.end}
                        for c in event.answer.citations
                    ]
                    self.conversations.append(
                        conversation_id, Turn(question.strip(), event.answer.text), citations
                    )
                yield event

    def warm_up(self) -> dict[str, float]:
        """Load the model and open the retrieval indexes now, so the first question does not
        wait for them. Seconds per stage."""
        timings: dict[str, float] = {}
        t = time.perf_counter()
        if self.store.count():
            self.retriever.retrieve("warm up", 1)
        timings["retriever_s"] = time.perf_counter() - t
        t = time.perf_counter()
        # One generated token reads the weights into memory (loading only maps them), and a
        # model that caches prompt prefixes (llama.cpp, vLLM) keeps the shared system prompt.
        messages = [Message("system", self.prompts.render("answer_system")), Message("user", "Hi")]
        for _ in self.llm.stream(messages, max_tokens=1, temperature=0.0):
            pass
        timings["model_s"] = time.perf_counter() - t
        return timings

    def warm_up_in_background(self) -> threading.Thread:
        """`warm_up` in a daemon thread, so a server answers health probes meanwhile; a
        failure is logged and left to the first question (and /readyz) to report."""

        def run() -> None:
            try:
                timings = self.warm_up()
            except Exception as exc:
                log.warning("warm-up failed: %s", exc)
                return
            log.info("warmed up: %s", ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))

        thread = threading.Thread(target=run, name="warm-up", daemon=True)
        thread.start()
        return thread

    def ready(self) -> dict[str, str]:
        """Raises BackendUnavailable when the store or the model cannot be reached."""
        self.store.ping()
        self.llm.ping()
        return {"store": "ok", "model": self.llm.name}

    # --- internals -------------------------------------------------------------------------

    def _still_stored(self, answer: Answer) -> Answer:
        """The answer without what cites a document deleted while it was being written: one
        look-up of the cited and retrieved chunks, just before the answer is final."""
        ids = [c.chunk_id for c in answer.citations] + [p.chunk.chunk_id for p in answer.passages]
        if not ids:
            return answer
        return keep_stored(answer, self.store.existing(ids))

    def check_question(self, question: str) -> None:
        """Raise InvalidInput for a question this service will not answer: blank, or longer
        than `max_question_chars` (RAG_MAX_QUESTION_CHARS). The one check of a question's
        shape: `ask`, `ask_stream`, `chat` and `retrieve` make it, and the HTTP routes make it
        before admission, so a bad question never waits for (or takes) a place in line.

        >>> service.check_question("x" * 5000)
        Traceback (most recent call last):
        rag.errors.InvalidInput: the question is 5000 characters; the limit is 2000
        """
        if is_blank(question):
            # NULs and control characters too: they would cost a full model run for nothing.
            raise InvalidInput(EMPTY_QUESTION)
        if len(question) > self._max_question_chars:
            raise InvalidInput(
                f"the question is {len(question)} characters; "
                f"the limit is {self._max_question_chars}"
            )

    def _check_corpus(self) -> None:
        if self.store.count() == 0:
            raise EmptyCorpus("no articles have been ingested yet; run `rag ingest data/articles`")

    def _standalone(
        self,
        question: str,
        history: list[Turn],
        timings: dict[str, float],
        meter: UsageMeter,
        cancel: Cancellation | None = None,
    ) -> str:
        """Rewrite a follow-up into a question that retrieval can answer on its own, from the
        user's own earlier questions: a wrong earlier answer must not carry into this one
        (the prompt shows no model answers)."""
        if not history:
            return question
        t = time.perf_counter()
        prompt = self.prompts.render("condense_question", history=history, question=question)
        text = "".join(
            meter.stream(self.llm, [Message("user", prompt)], max_tokens=80, cancel=cancel)
        )
        timings["condense_s"] = time.perf_counter() - t
        rewritten = text.strip().splitlines()[0].strip().strip('"') if text.strip() else ""
        if not rewritten or len(rewritten) > 4 * len(question) + 200:
            # An unusable rewrite: fall back to the last question plus this one for retrieval.
            return f"{history[-1].question} {question}"
        return rewritten


def _focus(matches: list[SentenceMatch]) -> int | None:
    """The passage holding a sentence that names all the question's names and most of its
    other words; None when no sentence comes close (likely unanswerable)."""
    best = max((m for m in matches if m.has_all_names), key=lambda m: m.score, default=None)
    if best is None or best.coverage < FOCUS_MIN_COVERAGE:
        return None
    return best.passage_index


def _may_become_refusal(draft: str) -> bool:
    """Whether the draft is (so far) the model's refusal marker: a client never sees
    "NOT IN ARTICLES" flash up before the next try or the plain refusal replaces it."""
    text = draft.strip().upper()
    return REFUSAL_MARKER.startswith(text) or text.startswith(REFUSAL_MARKER)


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
