"""HTTP request and response bodies; kept apart from the core types on purpose."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.presenters import citation_to_dict, passage_to_dict
from rag.store.base import StoredDocument
from rag.types import Answer, Filters


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=list, max_length=100)
    date_from: date | None = None
    date_to: date | None = None

    def to_filters(self) -> Filters:
        return Filters(tuple(self.sources), self.date_from, self.date_to)


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, description="The user's question.")
    conversation_id: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Continue this conversation; omit to start a new one.",
    )
    filters: FiltersIn | None = None
    stream: bool = Field(False, description="Send server-sent events instead of one JSON body.")


class CitationOut(BaseModel):
    n: int
    source: str
    start: int
    end: int
    quote: str
    date: date | None
    title: str
    outlet: str | None = None
    chunk_id: str


class CopyOut(BaseModel):
    """The same passage in another article (wire copy), folded into the one returned."""

    source: str
    outlet: str | None
    date: date | None
    chunk_id: str


class PassageOut(BaseModel):
    source: str
    chunk_id: str
    start: int
    end: int
    date: date | None
    score: float
    dense_rank: int | None
    sparse_rank: int | None
    text: str
    outlet: str | None = None
    also_in: list[CopyOut] = []


class ChatOut(BaseModel):
    conversation_id: str
    answer: str
    answered: bool
    citations: list[CitationOut]
    retrieved: list[PassageOut]
    standalone_question: str
    timings: dict[str, float]

    @classmethod
    def from_answer(cls, answer: Answer, conversation_id: str) -> ChatOut:
        return cls(
            conversation_id=conversation_id,
            answer=answer.text,
            answered=answer.answered,
            citations=[CitationOut(**citation_to_dict(c)) for c in answer.citations],
            retrieved=[PassageOut(**passage_to_dict(p)) for p in answer.passages],
            standalone_question=answer.standalone_question,
            timings={k: round(v, 4) for k, v in answer.timings.items()},
        )


class DocumentOut(BaseModel):
    doc_id: str
    source: str
    title: str
    date: date | None
    chunks: int
    complete: bool

    @classmethod
    def from_stored(cls, d: StoredDocument) -> DocumentOut:
        return cls(
            doc_id=d.doc_id,
            source=d.source,
            title=d.title,
            date=d.date,
            chunks=d.chunks,
            complete=d.complete,
        )


class UploadResult(DocumentOut):
    status: Literal["added", "replaced", "unchanged"]


class ErrorOut(BaseModel):
    # A list only for a malformed request body: FastAPI's validation errors, one per field.
    detail: str | list[dict[str, Any]]


# --- OpenAI-compatible ---------------------------------------------------------------------


class OpenAIMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(part.get("text", "")) for part in self.content)
        return self.content or ""


class OpenAIChatIn(BaseModel):
    # OpenAI clients send many optional knobs; accept and ignore the ones we don't use.
    model_config = ConfigDict(extra="allow")

    model: str = "newsrag"
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
