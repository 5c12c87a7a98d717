"""Fakes for the answer steps' unit tests: passages in memory, a scripted model, real prompts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from rag.answer.context import AnswerContext, AnswerParts, AnswerSettings
from rag.answer.prompts import Prompts
from rag.llm.base import UsageMeter
from rag.llm.fake import FakeChatModel
from rag.testing.fakes import FakeRetriever, FakeStore
from rag.text.nlp import shared_pipeline
from rag.text.time_phrases import TimeScope
from rag.types import Chunk, Citation, Message, Passage, Turn

PROMPTS = Prompts(Path(__file__).resolve().parents[2] / "prompts")

ASTANA = (
    "President Xi Jinping met Russian President Vladimir Putin on 3 July 2024 in Astana, "
    "Kazakhstan. The two leaders discussed trade."
)
BEIJING = "Xi and Putin met in Beijing on 16 May 2024. They signed a statement."
WEATHER = "It rained in Astana for most of the week."


def passage(n: int, text: str, day: date | None = date(2024, 7, 4), doc: str = "") -> Passage:
    doc_id = doc or f"{n:03d}"
    chunk = Chunk(
        chunk_id=f"{doc_id}:{n}",
        doc_id=doc_id,
        source=f"{doc_id}.txt",
        title=f"Article {doc_id}",
        date=day,
        start=0,
        end=len(text),
        text=text,
        annotated=text,
    )
    return Passage(chunk, 1.0 / (n + 1))


class RecordingStore(FakeStore):
    """The shipped in-memory store, recording whose chunks the steps read."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        super().__init__(chunks)
        self.chunks_read: list[str | None] = []

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        self.chunks_read.append(doc_id)
        return super().chunks(doc_id)


def _store(passages: Sequence[Passage], deleted: Sequence[str]) -> RecordingStore:
    """The passages' articles, less the chunks deleted while the answer was written."""
    store = RecordingStore(p.chunk for p in passages)
    store.delete(deleted)
    return store


def context(
    question: str,
    passages: Sequence[Passage] = (),
    reply: str | Callable[[Sequence[Message]], str] = "NOT IN ARTICLES",
    history: list[Turn] | None = None,
    unknown: Sequence[str] = (),
    deleted: Sequence[str] = (),
    top_k: int = 4,
) -> AnswerContext:
    """A context as `RagService` builds it, over in-memory passages and a scripted model."""
    model = FakeChatModel(reply)
    parts = AnswerParts(
        store=_store(passages, deleted),
        retriever=FakeRetriever(passages, unknown),
        llm=lambda: model,
        prompts=PROMPTS,
        settings=AnswerSettings(top_k=top_k, focus_pool=16),
        nlp=shared_pipeline(),
    )
    return AnswerContext(
        question=question,
        history=history or [],
        filters=None,
        as_of=None,
        parts=parts,
        meter=UsageMeter(),
    )


def retrieved(question: str, passages: Sequence[Passage], **kwargs: Any) -> AnswerContext:
    """A context as it stands after retrieval: standalone question, scope, pool, passages."""
    ctx = context(question, passages, **kwargs)
    ctx.standalone = question
    ctx.scope = TimeScope.of(question, date(2024, 7, 4))
    ctx.pool = list(passages)
    ctx.passages = ctx.pool[: ctx.parts.settings.top_k]
    return ctx


def model(ctx: AnswerContext) -> FakeChatModel:
    llm = ctx.parts.llm()
    assert isinstance(llm, FakeChatModel)
    return llm


def cite(p: Passage, n: int = 1) -> Citation:
    """A citation `[n]` of the passage's first ten characters."""
    c = p.chunk
    return Citation(n, c.source, c.start, c.start + 10, c.text[:10], c.date, c.chunk_id, c.title)
