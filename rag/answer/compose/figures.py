"""One story, many outlets: cite the articles that agree on the answer's figure, say which differ.

Outlets report the same event with different counts ("six planes" here, "five planes" there).
After the answer is verified, each figure it states with a unit noun the question asks about
("How many planes ...?" -> "six planes") is looked up in the other sentences that answer the
question. The same figure adds their citation; a different one adds, in code,
"(five according to DW [2])". Deliberately narrow: the unit noun must be in the question, the
other sentence must name everything the question names and give exactly one figure for that
unit, so two numbers for different things ("28 seats for the DUP, 27 for Sinn Féin") never
read as a disagreement.
"""

from __future__ import annotations

import re

from rag.answer.compose.verify import Verified
from rag.answer.evidence.latest import answering, outlet_name
from rag.answer.evidence.matching import SentenceMatch
from rag.answer.question.analysis import AnalysedQuestion
from rag.text.numbers import Figure, figures
from rag.types import Citation, Passage

_MARKER_GROUP = re.compile(r"\s*((?:\[\d+\])+)")


def reconcile(
    verified: Verified,
    question: AnalysedQuestion,
    passages: list[Passage],
    matches: list[SentenceMatch],
    *,
    newer_only: bool = False,
    agreeing: bool = True,
) -> Verified:
    """Add the citations of answering sentences that agree on the answer's figure and a note
    of those that give another one. `newer_only` (latest questions): an older article's
    figure was superseded, not contradicted, so only articles as new as the cited one count.
    `agreeing=False` leaves out the citations of those that agree (a quoted answer)."""
    if not verified.answered or not verified.citations:
        return verified
    units = question.words  # lemmas, as `figures` gives units
    stated = figures(verified.text, units)
    if len({f.unit for f in stated}) != len(stated):
        return verified  # two figures of one unit in the answer: which is which is unclear
    cited_docs = {_doc_of(c, passages) for c in verified.citations}
    first_cited = passages_by_chunk(passages).get(verified.citations[0].chunk_id)
    text, citations, notes = verified.text, list(verified.citations), list(verified.notes)
    for figure in stated:
        agree: list[Citation] = []
        differ: list[tuple[Figure, Citation, Passage]] = []
        seen_docs = set(cited_docs)
        for m in answering(question, passages, matches):
            passage = passages[m.passage_index]
            if passage.chunk.doc_id in seen_docs:
                continue
            if newer_only and first_cited is not None and _older(passage, first_cited):
                continue
            theirs = figures(m.text, frozenset({figure.unit}))
            if len({f.value for f in theirs}) != 1:
                continue
            seen_docs.add(passage.chunk.doc_id)
            citation = _citation(passage, m)  # numbered below
            if theirs[0].value == figure.value:
                if agreeing:
                    agree.append(citation)
            else:
                differ.append((theirs[0], citation, passage))
        if not agree and not differ:
            continue
        # Numbered in the order they appear in the text: agreeing markers, then the others.
        renumbered = []
        for c in [*agree, *(c for _, c, _ in differ)]:
            renumbered.append(_numbered(c, len(citations) + len(renumbered) + 1))
        agree_out = renumbered[: len(agree)]
        differ_out = [
            (f, c, p) for (f, _, p), c in zip(differ, renumbered[len(agree) :], strict=True)
        ]
        text = _insert(text, figure, agree_out, differ_out)
        citations += renumbered
        if differ_out:
            notes.append(
                f"sources differ on {figure.written} {figure.unit}: "
                + ", ".join(f"{f.written} in {p.chunk.source}" for f, _, p in differ_out)
            )
    return Verified(text, citations, verified.answered, notes)


def passages_by_chunk(passages: list[Passage]) -> dict[str, Passage]:
    return {p.chunk.chunk_id: p for p in passages}


def _doc_of(citation: Citation, passages: list[Passage]) -> str:
    passage = passages_by_chunk(passages).get(citation.chunk_id)
    return passage.chunk.doc_id if passage else citation.source


def _older(passage: Passage, than: Passage) -> bool:
    mine, theirs = passage.chunk.date, than.chunk.date
    return mine is None or (theirs is not None and mine < theirs)


def _citation(passage: Passage, m: SentenceMatch) -> Citation:
    chunk = passage.chunk
    lead = len(m.text) - len(m.text.lstrip())
    quote = m.text.strip()
    start = chunk.start + m.start + lead
    end = start + len(quote)
    return Citation(0, chunk.source, start, end, quote, chunk.date, chunk.chunk_id, chunk.title)


def _numbered(c: Citation, n: int) -> Citation:
    return Citation(n, c.source, c.start, c.end, c.quote, c.date, c.chunk_id, c.title)


def _insert(
    text: str,
    figure: Figure,
    agree: list[Citation],
    differ: list[tuple[Figure, Citation, Passage]],
) -> str:
    """Agreeing markers join the figure's sentence's markers; the differing figures follow in
    brackets: "Six planes were hit [1][2] (five according to DW [3])."."""
    group = next((g for g in _MARKER_GROUP.finditer(text) if g.start() >= figure.end), None)
    at = group.end() if group is not None else len(text.rstrip().rstrip(".!?"))
    extra = "".join(f"[{c.n}]" for c in agree)
    if differ:
        others = "; ".join(
            f"{f.written} according to {outlet_name(p.chunk)} [{c.n}]" for f, c, p in differ
        )
        extra += f" ({others})"
    if group is None and agree:
        extra = " " + extra
    return text[:at] + extra + text[at:]
