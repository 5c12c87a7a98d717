"""An answer may only cite what is still stored: a document deleted (or replaced) while the
model was writing must not be quoted to the user a minute later."""

from __future__ import annotations

from dataclasses import replace

from rag.answer.compose.render import render
from rag.answer.compose.verified import REFUSAL_TEXT
from rag.types import Answer, Statement


def keep_stored(answer: Answer, stored_chunk_ids: set[str]) -> Answer:
    """`answer` without the statements that cite a chunk no longer stored, citations
    renumbered 1..n; the refusal when no cited statement is left. Unchanged when every
    citation stands.

    A statement citing a deleted source loses its support, even if another source is cited
    beside it (a days-between answer needs both events), so the whole statement goes.
    """
    gone = {c.n for c in answer.citations if c.chunk_id not in stored_chunk_ids}
    passages = [p for p in answer.passages if p.chunk.chunk_id in stored_chunk_ids]
    if not gone:
        return (
            answer if len(passages) == len(answer.passages) else replace(answer, passages=passages)
        )
    note = f"dropped citations of documents deleted while answering: {sorted(gone)}"
    kept = [s for s in answer.statements if not any(c.n in gone for c in s.every_citation())]
    if not any(s.every_citation() for s in kept):
        kept = [Statement(REFUSAL_TEXT)]
        answered = False
    else:
        answered = answer.answered
    rendered = render(kept)
    return replace(
        answer,
        text=rendered.text,
        citations=rendered.citations,
        statements=rendered.statements,
        passages=passages,
        answered=answered,
        notes=[*answer.notes, note],
    )
