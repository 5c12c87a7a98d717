"""Each statement of a drafted answer must be backed by the sentence it cites.

The citation check (`verify`) makes sure a statement's figures and dates are in what it cites.
This goes further, with the parse: a statement that says "X said" must cite a sentence that
quotes X, one that states the question's event must cite a sentence that states it, and the
cited source must be of the question's year. A statement whose citations all fail is re-cited
to another sentence of the answer's passages that backs it (the model often cites the sentence
next to the one that says it), or dropped; an answer left with nothing, or naming nothing of the
kind the question asks for, becomes a refusal, which the quote fallback may still answer with a
sentence that does answer.
"""

from __future__ import annotations

from dataclasses import replace

from rag.answer.compose.verified import Verified, refusal
from rag.answer.compose.verify import MIN_OVERLAP
from rag.answer.evidence.support import Judge
from rag.text.facts import Evidence, claim_facts
from rag.text.sentences import sentence_spans
from rag.text.words import tokens
from rag.types import Citation, Passage, Statement

# Re-citing asks the judge (a parse each) of at most this many best-overlapping sentences.
_RECITE_TRIES = 4


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
        if not backed:
            backed = _recited(statement, passages, judge)
            if backed:
                notes.append(f"re-cited {statement.text!r} to {backed[0].quote!r}")
        if backed:
            kept.append(replace(statement, citations=tuple(backed)))
        else:
            notes.append(f"removed claim no cited sentence backs: {statement.text!r}")
    if not any(s.citations for s in kept):
        return refusal(notes)
    if not any(judge.names_asked(s) for s in kept if s.citations):
        # The name may be right and its quote the wrong sentence ("hosted by Kazakhstan" quoted
        # by the sentence holding "2024"): re-cite to one that holds it, as a failed claim is.
        kept = [_with_asked_name(s, passages, judge, notes) for s in kept]
    if not any(judge.names_asked(s) for s in kept if s.citations):
        notes.append(f"the answer names no {judge.question.kind.value} its sources hold")
        return refusal(notes)
    return replace(verified, statements=kept, notes=notes)


def _with_asked_name(
    statement: Statement, passages: list[Passage], judge: Judge, notes: list[str]
) -> Statement:
    if not statement.citations:
        return statement
    recited = _recited(statement, passages, judge, needs_asked_name=True)
    if not recited:
        return statement
    notes.append(f"re-cited {statement.text!r} to {recited[0].quote!r}, which names it")
    return replace(statement, citations=tuple(recited))


def _recited(
    statement: Statement, passages: list[Passage], judge: Judge, needs_asked_name: bool = False
) -> list[Citation]:
    """Another sentence of `passages` (alone or with the one before it) that holds at least
    `MIN_OVERLAP` of the statement's words and its figures and dates, and that the judge
    accepts (and, with `needs_asked_name`, that holds the name the question asks for): the
    best-overlapping such one, the passages the statement cited first."""
    words = set(tokens(statement.text))
    if not words:
        return []
    facts = claim_facts(statement.text)
    failed = {(c.chunk_id, c.start, c.end) for c in statement.citations}
    cited = {c.chunk_id for c in statement.citations}
    candidates: list[tuple[float, bool, Citation, Passage]] = []
    for passage in passages:
        chunk = passage.chunk
        spans = sentence_spans(chunk.text)
        for k, span in enumerate(spans):
            for first in {k, max(0, k - 1)}:
                citation = Citation.of(chunk, spans[first].start, span.end)
                if (chunk.chunk_id, citation.start, citation.end) in failed:
                    continue
                overlap = len(words & set(tokens(citation.quote))) / len(words)
                if overlap < MIN_OVERLAP:
                    continue
                if not facts.empty and not Evidence.of(citation.quote, chunk.date).supports(facts):
                    continue
                candidates.append((overlap, chunk.chunk_id in cited, citation, passage))
    # The cited passages first, then the most of its words, then the shorter quote.
    candidates.sort(key=lambda c: (c[1], c[0], -len(c[2].quote)), reverse=True)
    for _, _, citation, passage in candidates[:_RECITE_TRIES]:
        if judge.unsupported(statement, citation, passage):
            continue
        if needs_asked_name and not judge.names_asked(replace(statement, citations=(citation,))):
            continue
        return [citation]
    return []
