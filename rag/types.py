"""Typed values that flow unchanged from ingest to retrieval to the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal


@dataclass(frozen=True)
class Document:
    """One article as read from disk. Offsets of its chunks index into `text`."""

    doc_id: str
    source: str  # the file's name relative to the folder it was ingested from
    title: str
    date: date | None
    text: str  # the article's text; for HTML the extracted text, for others the file as decoded
    body_start: int  # where the body begins in `text` (after the ` date …` header)
    content_hash: str
    # Who published it and where, when known (the news archive); "" for plain files.
    outlet: str = ""
    url: str = ""


@dataclass(frozen=True)
class Chunk:
    """A span of an article: `text == document.text[start:end]`.

    `annotated` is the text the model sees, with relative dates resolved in brackets
    ("on Wednesday [3 July 2024]"); `dates` are every explicit and resolved date in the span.
    """

    chunk_id: str
    doc_id: str
    source: str
    title: str
    date: date | None
    start: int
    end: int
    text: str
    annotated: str
    dates: tuple[date, ...] = ()
    content_hash: str = ""
    index: int = 0
    total: int = 0  # chunks in this version of the document; detects interrupted ingests
    outlet: str = ""
    url: str = ""
    # The document's text that no chunk holds, so that it can be rebuilt from its chunks:
    # `lead` is what lies between the previous chunk's end (or the start) and this one's
    # start, `tail` (on the last chunk) what follows it.
    lead: str = ""
    tail: str = ""


@dataclass(frozen=True)
class Copy:
    """Another article carrying (nearly) the same passage: the same wire copy in another
    outlet, or an earlier or later version of one story. Kept so an answer can cite every
    outlet that reports a fact, without three copies of one paragraph taking the top-k."""

    chunk: Chunk  # the copy itself: its source, outlet, date, offsets and text
    similarity: float  # share of the smaller passage's word 5-grams found in the other, 0..1


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with how it ranked, and the near-identical passages folded into it."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    sparse_rank: int | None = None
    also_in: tuple[Copy, ...] = ()


@dataclass(frozen=True)
class Citation:
    """What an inline `[n]` marker points at: a quoted span of a source article.

    `n` is 0 until the answer is rendered, which numbers its citations in order of first use.
    """

    n: int
    source: str
    start: int  # offsets in the article's text
    end: int
    quote: str
    date: date | None
    chunk_id: str
    title: str = ""
    outlet: str = ""  # "" for files without one (uploads, local folders)
    doc_id: str = ""  # where `start`/`end` index: `RagService.document_text(doc_id)`
    url: str = ""

    @classmethod
    def of(cls, chunk: Chunk, start: int, end: int) -> Citation:
        """A quote of `chunk.text[start:end]` (offsets in the chunk), without the whitespace
        around it. The one way a citation is made from a source.

        >>> Citation.of(chunk, 0, 42).quote == chunk.text[:42].strip()
        True
        """
        raw = chunk.text[start:end]
        start += len(raw) - len(raw.lstrip())
        end = start + len(raw.strip())
        return cls(
            n=0,
            source=chunk.source,
            start=chunk.start + start,
            end=chunk.start + end,
            quote=chunk.text[start:end],
            date=chunk.date,
            chunk_id=chunk.chunk_id,
            title=chunk.title,
            outlet=chunk.outlet,
            doc_id=chunk.doc_id,
            url=chunk.url,
        )

    @classmethod
    def dangling(cls, n: int) -> Citation:
        """A marker `[n]` that points at nothing (a model citing a passage it was not given):
        kept so a check can count it as unsupported."""
        return cls(n, "", 0, 0, "", None, "")

    @property
    def publisher(self) -> str:
        """The outlet's name, else the file's: what a reader is told the article is from."""
        return self.outlet or self.source

    @property
    def span(self) -> tuple[str, int, int]:
        """What makes two citations the same: one chunk, one quote."""
        return (self.chunk_id, self.start, self.end)


@dataclass(frozen=True)
class Aside:
    """A bracketed addition to a statement with sources of its own: "(five according to DW)"."""

    text: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Statement:
    """One sentence of an answer and the citations that back it; the answer's text is these,
    rendered once ("Xi and Putin met on 3 July 2024 [1].")."""

    text: str  # with its closing punctuation, no markers
    citations: tuple[Citation, ...] = ()
    asides: tuple[Aside, ...] = ()

    def every_citation(self) -> tuple[Citation, ...]:
        return self.citations + tuple(c for a in self.asides for c in a.citations)


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on what the retriever may return."""

    sources: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    @property
    def empty(self) -> bool:
        return not self.sources and self.date_from is None and self.date_to is None


@dataclass(frozen=True)
class TokenUsage:
    """Tokens the chat model read and wrote, as its backend counted them (summed over calls)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


@dataclass
class Answer:
    """A finished answer. `statements` are its sentences with their (numbered) citations;
    `text` and `citations` are what rendering them gave, for readers that want prose."""

    text: str
    citations: list[Citation]
    passages: list[Passage]
    answered: bool  # False when the articles do not contain the answer
    standalone_question: str
    timings: dict[str, float] = field(default_factory=dict)
    # What verification changed: repaired citations, dropped claims; kept for audits and eval.
    notes: list[str] = field(default_factory=list)
    # Every model call this answer took (rewrite, draft, retry); zero when code answered alone.
    usage: TokenUsage = field(default_factory=TokenUsage)
    # The question took for granted what the articles do not say ("Why did X resign?"), and
    # the answer says so and what they do say; `answered` is False, as for a decline.
    corrected: bool = False
    statements: list[Statement] = field(default_factory=list)


Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Turn:
    """One question and its answer in a conversation."""

    question: str
    answer: str
