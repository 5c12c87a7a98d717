"""One story, many outlets: cite the articles that agree on the answer's figure, say which differ.

Outlets report the same event with different counts ("six planes" here, "five planes" there).
After the answer is verified, each figure it states with a unit noun the question asks about
("How many planes ...?" -> "six planes") is looked up in the other sentences that answer the
question. The same figure adds their citation; a different one adds, in code, an aside:
"(five according to DW [2])". Deliberately narrow: the unit noun must be in the question, the
other sentence must name everything the question names and give exactly one figure for that
unit, so two numbers for different things ("28 seats for the DUP, 27 for Sinn Féin") never
read as a disagreement.
"""

from __future__ import annotations

from rag.answer.compose.attribution import outlet_name
from rag.answer.compose.verified import Verified
from rag.answer.evidence.latest import answering
from rag.answer.evidence.matching import SentenceMatch
from rag.answer.evidence.support import Judge
from rag.answer.question.analysis import AnalysedQuestion
from rag.text.numbers import Figure, figures
from rag.types import Aside, Citation, Passage, Statement


def reconcile(
    verified: Verified,
    question: AnalysedQuestion,
    passages: list[Passage],
    matches: list[SentenceMatch],
    *,
    newer_only: bool = False,
    agreeing: bool = True,
    judge: Judge | None = None,
) -> Verified:
    """Add the citations of answering sentences that agree on the answer's figure to the
    statement that states it, and an aside for each that gives another one. `newer_only`
    (latest questions): an older article's figure was superseded, not contradicted, so only
    articles as new as the cited one count. `agreeing=False` leaves out the citations of those
    that agree (a quoted answer). `judge`: other sentences must answer the question by its
    reading, and their figure must count the question's participants (like with like: a
    150-seat parliament is no count of one party's seats)."""
    if not verified.answered or not verified.citations:
        return verified
    units = question.words  # lemmas, as `figures` gives units
    stated = [(i, f) for i, s in enumerate(verified.statements) for f in figures(s.text, units)]
    if len({f.unit for _, f in stated}) != len(stated):
        return verified  # two figures of one unit in the answer: which is which is unclear
    cited_docs = {_doc_of(c, passages) for c in verified.citations}
    first_cited = passages_by_chunk(passages).get(verified.citations[0].chunk_id)
    statements, notes = list(verified.statements), list(verified.notes)
    for at, figure in stated:
        agree: list[Citation] = []
        differ: list[tuple[Figure, Citation, Passage]] = []
        seen_docs = set(cited_docs)
        accept = judge.answers if judge else None
        for m in answering(question, passages, matches, accept):
            passage = passages[m.passage_index]
            if passage.chunk.doc_id in seen_docs:
                continue
            if newer_only and first_cited is not None and _older(passage, first_cited):
                continue
            theirs = figures(m.text, frozenset({figure.unit}))
            if judge is not None:
                theirs = [f for f in theirs if judge.counts_participant(m, f)]
            if len({f.value for f in theirs}) != 1:
                continue
            seen_docs.add(passage.chunk.doc_id)
            citation = Citation.of(passage.chunk, m.start, m.end)
            if theirs[0].value == figure.value:
                if agreeing:
                    agree.append(citation)
            else:
                differ.append((theirs[0], citation, passage))
        if not agree and not differ:
            continue
        statement = statements[at]
        asides = tuple(
            Aside(f"{f.written} according to {outlet_name(p.chunk)}", (c,)) for f, c, p in differ
        )
        statements[at] = Statement(
            statement.text, statement.citations + tuple(agree), statement.asides + asides
        )
        if differ:
            notes.append(
                f"sources differ on {figure.written} {figure.unit}: "
                + ", ".join(f"{f.written} in {p.chunk.source}" for f, _, p in differ)
            )
    return Verified(statements, verified.answered, notes)


def passages_by_chunk(passages: list[Passage]) -> dict[str, Passage]:
    return {p.chunk.chunk_id: p for p in passages}


def _doc_of(citation: Citation, passages: list[Passage]) -> str:
    passage = passages_by_chunk(passages).get(citation.chunk_id)
    return passage.chunk.doc_id if passage else citation.source


def _older(passage: Passage, than: Passage) -> bool:
    mine, theirs = passage.chunk.date, than.chunk.date
    return mine is None or (theirs is not None and mine < theirs)
