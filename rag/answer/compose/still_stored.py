"""An answer may only cite what is still stored: a document deleted (or replaced) while the
model was writing must not be quoted to the user a minute later."""

from __future__ import annotations

import re
from dataclasses import replace

from rag.answer.compose.verify import REFUSAL_TEXT
from rag.types import Answer

# How `verify_answer` writes markers: "[1]", "[1][3]", just before the sentence's full stop.
_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def keep_stored(answer: Answer, stored_chunk_ids: set[str]) -> Answer:
    """`answer` without the sentences that cite a chunk no longer stored, citations renumbered
    1..n; the refusal when no cited sentence is left. Unchanged when every citation stands.

    A sentence citing a deleted source loses its support, even if another source is cited
    beside it (a days-between answer needs both events), so the whole sentence goes.
    """
    gone = {c.n for c in answer.citations if c.chunk_id not in stored_chunk_ids}
    passages = [p for p in answer.passages if p.chunk.chunk_id in stored_chunk_ids]
    if not gone:
        return (
            answer if len(passages) == len(answer.passages) else replace(answer, passages=passages)
        )
    note = f"dropped citations of documents deleted while answering: {sorted(gone)}"
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(answer.text.strip()):
        cited = {int(n) for n in _MARKER.findall(sentence)}
        if not cited & gone:
            kept.append(sentence)
    numbers = [int(n) for s in kept for n in _MARKER.findall(s)]
    renumber = {old: new for new, old in enumerate(dict.fromkeys(numbers), start=1)}
    if not renumber:
        return replace(
            answer,
            text=REFUSAL_TEXT,
            citations=[],
            passages=passages,
            answered=False,
            notes=[*answer.notes, note],
        )
    text = " ".join(_MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", s) for s in kept)
    citations = sorted(
        (replace(c, n=renumber[c.n]) for c in answer.citations if c.n in renumber),
        key=lambda c: c.n,
    )
    return replace(
        answer, text=text, citations=citations, passages=passages, notes=[*answer.notes, note]
    )
