"""Split an article into overlapping chunks on sentence and paragraph boundaries.

Each chunk is a contiguous span of the article, so its offsets let a citation quote the source
exactly; relative dates inside it are resolved against the article's date.
"""

from __future__ import annotations

from dataclasses import replace

from rag.text.dates import DateMention, annotate, find_dates
from rag.text.sentences import Span, sentence_spans
from rag.types import Chunk, Document


def chunk_document(doc: Document, max_chars: int = 800, overlap_chars: int = 200) -> list[Chunk]:
    """Greedy packing of whole sentences up to `max_chars`, preferring paragraph breaks."""
    mentions = find_dates(doc.text[doc.body_start :], doc.date)
    mentions = [_shift(m, doc.body_start) for m in mentions]
    sentences = _split_long(sentence_spans(doc.text, doc.body_start), doc.text, max_chars)
    groups: list[list[Span]] = []
    current: list[Span] = []
    for sentence in sentences:
        size = current[-1].end - current[0].start if current else 0
        new_size = sentence.end - (current[0].start if current else sentence.start)
        paragraph_break = sentence.paragraph_start and size >= max_chars * 0.6
        if current and (new_size > max_chars or paragraph_break):
            groups.append(current)
            current = _overlap_tail(current, overlap_chars, sentence, max_chars)
        current.append(sentence)
    if current:
        groups.append(current)
    chunks = [
        _make_chunk(doc, i, len(groups), g[0].start, g[-1].end, mentions)
        for i, g in enumerate(groups)
    ]
    return _with_gaps(doc.text, chunks)


def _with_gaps(text: str, chunks: list[Chunk]) -> list[Chunk]:
    """The chunks with the text between and around them (`lead`, `tail`): with them the
    store can give back the article's text, which citation offsets index into."""
    out: list[Chunk] = []
    covered = 0
    for chunk in chunks:
        lead = text[covered : chunk.start] if chunk.start > covered else ""
        out.append(replace(chunk, lead=lead))
        covered = max(covered, chunk.end)
    if out:
        out[-1] = replace(out[-1], tail=text[covered:])
    return out


def _overlap_tail(group: list[Span], overlap_chars: int, nxt: Span, max_chars: int) -> list[Span]:
    """The last sentences of the previous chunk that fit the overlap budget."""
    tail: list[Span] = []
    for span in reversed(group):
        if nxt.end - span.start > max_chars or group[-1].end - span.start > overlap_chars:
            break
        tail.insert(0, span)
    return tail


def _split_long(spans: list[Span], text: str, max_chars: int) -> list[Span]:
    """Break sentences longer than a chunk at word boundaries so no chunk overflows."""
    out: list[Span] = []
    for span in spans:
        start = span.start
        first = span.paragraph_start
        while span.end - start > max_chars:
            cut = text.rfind(" ", start, start + max_chars)
            cut = cut if cut > start else start + max_chars
            out.append(Span(start, cut, first))
            first = False
            start = cut + 1 if text[cut : cut + 1] == " " else cut
        out.append(Span(start, span.end, first))
    return out


def _shift(m: DateMention, by: int) -> DateMention:
    return DateMention(m.start + by, m.end + by, m.text, m.value, m.granularity, m.relative)


def _make_chunk(
    doc: Document, index: int, total: int, start: int, end: int, mentions: list[DateMention]
) -> Chunk:
    inside = [_shift(m, -start) for m in mentions if m.start >= start and m.end <= end]
    text = doc.text[start:end]
    return Chunk(
        chunk_id=f"{doc.doc_id}-{doc.content_hash[:12]}-{index:04d}",
        doc_id=doc.doc_id,
        source=doc.source,
        title=doc.title,
        date=doc.date,
        start=start,
        end=end,
        text=text,
        annotated=annotate(text, inside),
        dates=tuple(
            sorted({m.value for m in inside if m.granularity == "day" and "week" not in m.text})
        ),
        content_hash=doc.content_hash,
        index=index,
        total=total,
        outlet=doc.outlet,
        url=doc.url,
    )
