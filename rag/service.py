"""The one service object that the CLI, HTTP API, Slack bot and eval runner all call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import date
from pathlib import Path

from rag.answer import pipeline
from rag.answer.context import AnswerContext, AnswerParts, AnswerSettings
from rag.answer.events import Final, StreamEvent, Token, final_answer
from rag.answer.prompts import Prompts
from rag.cancellation import Cancellation
from rag.documents.stored import DocumentText, document_text
from rag.errors import EmptyCorpus, InvalidInput, NotFound
from rag.ingest import Ingestor, IngestReport
from rag.llm.base import ChatModel, UsageMeter
from rag.retrieval.base import Retriever
from rag.retrieval.scoped import retrieve_scoped
from rag.state.conversations.base import ConversationStore
from rag.store.base import StoredDocument, VectorStore
from rag.text.blank import EMPTY_QUESTION, Question, is_blank
from rag.text.nlp import Pipeline, shared_pipeline
from rag.types import Answer, Document, Filters, Message, Passage, Turn

# The stream's types live with the answer path; they are imported from here by api/ and eval/.
__all__ = ["Final", "RagService", "StreamEvent", "Token", "final_answer"]

log = logging.getLogger("newsrag")


class RagService:
    """Ingest articles, answer questions with verified citations, keep conversations.

    >>> service.ask("On what date did Xi and Putin meet at the SCO summit in Astana?").text
    'Xi and Putin met on 3 July 2024 in Astana [1].'
    """

    def __init__(
        self,
        store: VectorStore,
        retriever: Retriever,
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
        nlp: Pipeline | None = None,
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
        self._max_question_chars = max_question_chars
        self._answering = AnswerSettings(top_k, focus_pool, excerpt_chars, max_tokens, temperature)
        # The spaCy pipeline, loaded on first use like the model (ingest never pays for it).
        self.nlp = nlp or shared_pipeline()

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
        # This article's chunks only: listing every document reads the whole store (2.4 s of
        # an upload into the 21,628-chunk archive).
        return self.document(doc.doc_id), report

    def documents(self) -> list[StoredDocument]:
        return self.store.documents()

    def document(self, doc_id: str) -> StoredDocument:
        doc = next(iter(self.store.documents(doc_id)), None)
        if doc is None:
            raise NotFound(f"document {doc_id!r} not found")
        return doc

    def document_text(self, doc_id: str) -> DocumentText:
        """The article's text as ingested, which citation offsets index into; NotFound when
        no such document is stored."""
        chunks = self.store.chunks(doc_id)
        if not chunks:
            raise NotFound(f"document {doc_id!r} not found")
        return document_text(chunks)

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
        self._checked(question)
        retriever = self.retriever.for_question(self._check_corpus())
        scoped = retrieve_scoped(
            retriever.retrieve,
            question.strip(),
            retriever.newest_date(),
            self._answering.top_k,
            self._answering.focus_pool,
            filters,
            as_of,
        )
        return scoped.passages[: self._answering.top_k]

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
        self._checked(question)
        # The question's one count of the store: the corpus is not empty, and the keyword
        # index is in step with it for all of this question's searches.
        retriever = self.retriever.for_question(self._check_corpus())
        if cancel is not None:
            cancel.raise_if_cancelled()
        ctx = AnswerContext(
            question=question.strip(),
            history=history or [],
            filters=filters,
            as_of=as_of,
            parts=AnswerParts(
                self.store, retriever, lambda: self.llm, self.prompts, self._answering, self.nlp
            ),
            meter=meter,
            cancel=cancel,
        )
        # The steps and their order: `rag.answer.pipeline.STEPS`.
        yield from pipeline.run(ctx)

    def conversation(self, conversation_id: str | None) -> str:
        """The id to answer in: `conversation_id` when that conversation exists (NotFound
        when it does not), or a new one when None."""
        assert self.conversations is not None, "chat needs a ConversationStore"
        if conversation_id is None:
            return self.conversations.new_id()
        self.conversations.require(conversation_id)
        return conversation_id

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
        self.nlp.load()
        timings["nlp_s"] = time.perf_counter() - t
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

    def check_question(self, question: str) -> Question:
        """`question`, accepted; InvalidInput for a question this service will not answer:
        blank, or longer than `max_question_chars` (RAG_MAX_QUESTION_CHARS). The one check of
        a question's shape: `ask`, `ask_stream`, `chat` and `retrieve` make it on a plain
        string, and the HTTP routes make it before admission (so a bad question never waits
        for, or takes, a place in line) and pass on the `Question` it returns.

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
        return Question(question)

    def _checked(self, question: str) -> Question:
        return question if isinstance(question, Question) else self.check_question(question)

    def _check_corpus(self) -> int:
        """The store's chunk count, which must not be zero."""
        stored = self.store.count()
        if stored == 0:
            raise EmptyCorpus("no articles have been ingested yet; run `rag ingest data/articles`")
        return stored
