"""Say whose article an answer is from: "33 seats, according to BBC on 16 March 2017 [1]".

For a question that asks for the latest, the newest answering article is chosen in code
(`evidence.latest`); the reader should see which outlet and day that was.
"""

from __future__ import annotations

from dataclasses import replace

from rag.answer.compose.verified import Verified
from rag.text.dates import format_day
from rag.types import Chunk, Statement

_CLOSERS = ".!?"


def outlet_name(chunk: Chunk) -> str:
    """Who published the chunk: archive articles carry their outlet ("BBC"); an uploaded file
    is known by its name."""
    return chunk.outlet or chunk.source


def attribute(verified: Verified, chunk: Chunk) -> Verified:
    """Name the outlet and day of `chunk` in the first statement that cites it; unchanged when
    the answer does not cite it (then it did not answer from the newest article)."""
    if not verified.answered:
        return verified
    at = next(
        (
            i
            for i, s in enumerate(verified.statements)
            if any(c.chunk_id == chunk.chunk_id for c in s.citations)
        ),
        None,
    )
    if at is None:
        return verified
    prose = verified.text
    outlet = outlet_name(chunk)
    day = format_day(chunk.date) if chunk.date else ""
    if day and day in prose:
        if outlet in prose:
            return verified
        addition = f" ({outlet})"
    else:
        addition = f", according to {outlet}" + (f" on {day}" if day else "")
    statements = list(verified.statements)
    statements[at] = _with_addition(statements[at], addition)
    note = f"newest answering article: {chunk.source} ({day or 'undated'})"
    return replace(verified, statements=statements, notes=[*verified.notes, note])


def _with_addition(statement: Statement, addition: str) -> Statement:
    """The addition goes where the markers will: after the words, before the closing stop."""
    text = statement.text.rstrip()
    end = text[-1] if text and text[-1] in _CLOSERS else ""
    body = text[: len(text) - len(end)]
    return replace(statement, text=f"{body}{addition}{end}")
