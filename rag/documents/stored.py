"""A stored article's text, rebuilt from its chunks, for a reader who checks a citation.

Citation offsets (`start`, `end`) index into `Document.text`, and every chunk is the span
`Document.text[chunk.start:chunk.end]`; the text no chunk holds (the date header, the spaces
between sentences) rides on the chunks as `lead` and `tail`. So the text comes back exactly
as it was ingested, and a cited span is `text[start:end]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rag.types import Chunk


@dataclass(frozen=True)
class DocumentText:
    """One stored article as a reader sees it: who published it, when, and its text."""

    doc_id: str
    source: str
    title: str
    outlet: str
    url: str
    date: date | None
    text: str
    # All its chunks are stored; an interrupted ingest leaves gaps, shown as spaces.
    complete: bool


def document_text(chunks: Sequence[Chunk]) -> DocumentText:
    """The article that `chunks` (all of one document, any order, at least one) are from.

    Where two versions are stored (a crash between writing the new and deleting the old),
    the complete one, and of two complete ones the larger. Chunks stored before `lead` and
    `tail` were kept have their gaps filled with spaces, which keeps every offset true.
    """
    versions: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        versions.setdefault(chunk.content_hash, []).append(chunk)
    kept = max(versions.values(), key=lambda v: (len(v) == v[0].total, len(v)))
    kept.sort(key=lambda c: c.start)
    parts: list[str] = []
    covered = 0
    for chunk in kept:
        if chunk.start > covered:
            gap = chunk.start - covered
            parts.append(chunk.lead if len(chunk.lead) == gap else " " * gap)
        if chunk.end > covered:
            parts.append(chunk.text[max(0, covered - chunk.start) :])
            covered = chunk.end
    parts.append(kept[-1].tail)
    first = kept[0]
    return DocumentText(
        doc_id=first.doc_id,
        source=first.source,
        title=first.title,
        outlet=first.outlet,
        url=first.url,
        date=first.date,
        text="".join(parts),
        complete=len(kept) == first.total,
    )
