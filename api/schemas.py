"""HTTP request and response bodies; kept apart from the core types on purpose."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rag.documents.stored import DocumentText
from rag.store.base import StoredDocument
from rag.text.blank import EMPTY_QUESTION, is_blank
from rag.types import Answer, Citation, Filters, Passage


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=list, max_length=100)
    date_from: date | None = None
    date_to: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> FiltersIn:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            # Not an empty result: an answer of "not in the articles" would be a false one.
            raise ValueError(
                f"date_from {self.date_from} is after date_to {self.date_to}; swap them"
            )
        return self

    def to_filters(self) -> Filters:
        return Filters(tuple(self.sources), self.date_from, self.date_to)


AS_OF_DESCRIPTION = (
    "Answer as of this day (YYYY-MM-DD): no later article is used, and relative phrases in the "
    "question ('last week', 'in February') count back from it instead of from the newest "
    "article's date."
)


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
    as_of: date | None = Field(None, description=AS_OF_DESCRIPTION)
    stream: bool = Field(False, description="Send server-sent events instead of one JSON body.")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, question: str) -> str:
        # The schema's check: a blank question is a 422 like any malformed body. The route
        # then has the service check it once more, for its length limit (a service setting).
        if is_blank(question):
            raise ValueError(EMPTY_QUESTION)
        return question


class CitationOut(BaseModel):
    """A citation `[n]`: the quoted span and the article it is from. `start`/`end` index into
    the text `GET /v1/documents/{doc_id}/text` returns."""

    n: int
    source: str
    start: int
    end: int
    quote: str
    date: date | None
    title: str
    outlet: str | None = None
    chunk_id: str
    doc_id: str
    url: str | None = None

    @classmethod
    def from_citation(cls, s: Citation) -> CitationOut:
        return cls(
            n=s.n,
            source=s.source,
            start=s.start,
            end=s.end,
            quote=s.quote,
            date=s.date,
            title=s.title,
            outlet=s.outlet or None,
            chunk_id=s.chunk_id,
            doc_id=s.doc_id,
            url=s.url or None,
        )

    @classmethod
    def all_from(cls, answer: Answer) -> list[CitationOut]:
        return [cls.from_citation(c) for c in answer.citations]


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

    @classmethod
    def from_passage(cls, p: Passage) -> PassageOut:
        c = p.chunk
        return cls(
            source=c.source,
            chunk_id=c.chunk_id,
            start=c.start,
            end=c.end,
            date=c.date,
            score=round(p.score, 6),
            dense_rank=p.dense_rank,
            sparse_rank=p.sparse_rank,
            text=c.annotated,
            outlet=c.outlet or None,
            # The same passage in other articles (wire copy), folded into this one.
            also_in=[
                CopyOut(
                    source=d.chunk.source,
                    outlet=d.chunk.outlet or None,
                    date=d.chunk.date,
                    chunk_id=d.chunk.chunk_id,
                )
                for d in p.also_in
            ],
        )


class ChatOut(BaseModel):
    conversation_id: str
    answer: str
    answered: bool
    # The question took for granted what the articles do not say; the answer says so and
    # quotes what they do say (`answered` is false, the citations are real).
    corrected: bool = False
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
            corrected=answer.corrected,
            citations=CitationOut.all_from(answer),
            retrieved=[PassageOut.from_passage(p) for p in answer.passages],
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


class DocumentTextOut(BaseModel):
    """A stored article's text as ingested: citation offsets (`start`, `end`) index into it."""

    doc_id: str
    source: str
    title: str
    outlet: str | None
    date: date | None
    url: str | None
    text: str

    @classmethod
    def from_text(cls, d: DocumentText) -> DocumentTextOut:
        return cls(
            doc_id=d.doc_id,
            source=d.source,
            title=d.title,
            outlet=d.outlet or None,
            date=d.date,
            url=d.url or None,
            text=d.text,
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


class OpenAIStreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class OpenAIChatIn(BaseModel):
    # Unknown keys are kept so that the route can name them in its 400 (api/openai_options.py
    # decides what is honoured, accepted without effect, or refused).
    model_config = ConfigDict(extra="allow")

    model: str = "newsrag"
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: OpenAIStreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1, description="Deprecated name of the next.")
    max_completion_tokens: int | None = Field(
        None, ge=1, description="Cut the answer to this many tokens (finish_reason `length`)."
    )
    stop: str | list[str] | None = Field(None, description="Cut the answer before these.")
    n: int | None = Field(None, ge=1, description="Only 1: there is one verified answer.")
    temperature: float | None = Field(None, description="Accepted; answers are deterministic.")
    logprobs: bool | None = None
    top_logprobs: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    # newsrag's extensions; OpenAI clients pass them as extra body fields.
    filters: FiltersIn | None = None
    as_of: date | None = Field(None, description=AS_OF_DESCRIPTION)
