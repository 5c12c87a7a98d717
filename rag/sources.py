"""What a reader needs to check each citation of an answer: who published the article, its
headline and day, and where to read it (the document id for its stored text, and its URL).

Citations carry the source file, span and quote; the passages the answer was given carry the
rest, so it is looked up there once, for the HTTP API, the OpenAI-compatible route and Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rag.types import Answer, Chunk, Citation


@dataclass(frozen=True)
class CitedSource:
    """One citation `[n]` and the article it quotes. `start`/`end` index into the article's
    text as `RagService.document_text(doc_id)` returns it."""

    n: int
    doc_id: str
    source: str
    title: str
    outlet: str  # "" for files without one (uploads, local folders): show `source` then
    date: date | None
    url: str
    start: int
    end: int
    quote: str
    chunk_id: str

    @property
    def publisher(self) -> str:
        """The outlet's name, else the file's: what a reader is told the article is from."""
        return self.outlet or self.source


def cited_sources(answer: Answer) -> list[CitedSource]:
    """`answer.citations` in order, each with its article's details."""
    chunks: dict[str, Chunk] = {}
    for passage in answer.passages:
        chunks.setdefault(passage.chunk.chunk_id, passage.chunk)
        for copy in passage.also_in:  # wire copy another outlet printed, cited by its own id
            chunks.setdefault(copy.chunk.chunk_id, copy.chunk)
    return [_source(c, chunks.get(c.chunk_id)) for c in answer.citations]


def _source(c: Citation, chunk: Chunk | None) -> CitedSource:
    return CitedSource(
        n=c.n,
        # Chunk ids begin with their document's id (rag.documents.chunker), for a citation
        # whose passage the answer does not list.
        doc_id=chunk.doc_id if chunk else c.chunk_id.split("-", 1)[0],
        source=c.source,
        title=c.title or (chunk.title if chunk else ""),
        outlet=c.outlet or (chunk.outlet if chunk else ""),
        date=c.date,
        url=chunk.url if chunk else "",
        start=c.start,
        end=c.end,
        quote=c.quote,
        chunk_id=c.chunk_id,
    )
