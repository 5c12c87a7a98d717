"""Each statement of a drafted answer must be backed by the sentence it cites.

The citation check (`verify`) makes sure a statement's figures and dates are in what it cites.
This goes further, with the parse: a statement that says "X said" must cite a sentence that
quotes X, one that states the question's event must cite a sentence that states it, and the
cited source must be of the question's year. A citation that fails is dropped; a statement left
with none is dropped; an answer left with nothing, or naming nothing of the kind the question
asks for, becomes a refusal, which the quote fallback may still answer with a sentence that
does answer.
"""

from __future__ import annotations

from dataclasses import replace

from rag.answer.compose.verified import Verified, refusal
from rag.answer.evidence.support import Judge
from rag.types import Passage, Statement


def supported_claims(verified: Verified, passages: list[Passage], judge: Judge) -> Verified:
    if not verified.answered:
        return verified
    by_chunk = {p.chunk.chunk_id: p for p in passages}
    notes = list(verified.notes)
    kept: list[Statement] = []
    for statement in verified.statements:
        if not statement.citations:
            kept.append(statement)
            continue
        backed = []
        for citation in statement.citations:
            passage = by_chunk.get(citation.chunk_id)
            why = judge.unsupported(statement, citation, passage) if passage else "not retrieved"
            if why:
                notes.append(
                    f"dropped citation of {citation.chunk_id} for {statement.text!r}: {why}"
                )
            else:
                backed.append(citation)
        if backed:
            kept.append(replace(statement, citations=tuple(backed)))
        else:
            notes.append(f"removed claim no cited sentence backs: {statement.text!r}")
    if not any(s.citations for s in kept):
        return refusal(notes)
    if not any(judge.names_asked(s) for s in kept if s.citations):
        notes.append(f"the answer names no {judge.question.kind.value} its sources hold")
        return refusal(notes)
    return replace(verified, statements=kept, notes=notes)
