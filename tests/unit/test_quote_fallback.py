"""The quoted answer when the model declines: exact span, resolved dates, one citation."""

from __future__ import annotations

from datetime import date

from rag.answer.compose.quote import quote_answer
from rag.answer.compose.render import render
from rag.answer.compose.verified import Verified
from rag.answer.evidence.matching import sentence_matches
from rag.answer.question.analysis import AnalysedQuestion
from rag.text.terms import QuestionTerms
from rag.types import Chunk, Passage


def shown(verified: Verified) -> str:
    """The answer as a reader gets it: rendered with its markers."""
    return render(verified.statements).text


TEXT = (
    "Astana summit opens. President Xi Jinping met Russian President Vladimir Putin on "
    "Wednesday in Astana, Kazakhstan. The summit is on Thursday."
)


def _passage() -> Passage:
    chunk = Chunk(
        chunk_id="004:0",
        doc_id="004",
        source="004.txt",
        title="Xi meets Putin",
        date=date(2024, 7, 4),
        start=100,
        end=100 + len(TEXT),
        text=TEXT,
        annotated=TEXT,
    )
    return Passage(chunk, 1.0)


def test_the_quote_cites_its_exact_span_with_the_date_resolved() -> None:
    question = "When did Xi meet Putin in Astana?"
    passages = [_passage()]
    matches = sentence_matches(QuestionTerms.of(question), passages)

    verified = quote_answer(AnalysedQuestion.of(question), passages, matches)

    assert verified is not None and verified.answered
    assert "Wednesday (3 July 2024)" in shown(verified)
    assert shown(verified).endswith("[1]")
    (citation,) = verified.citations
    assert TEXT[citation.start - 100 : citation.end - 100] == citation.quote
    assert citation.quote.startswith("President Xi Jinping met")
    assert citation.quote.endswith("Kazakhstan.")


def test_no_quote_when_no_sentence_answers() -> None:
    question = "How many barrels of oil did Kazakhstan sell to China?"
    passages = [_passage()]
    matches = sentence_matches(QuestionTerms.of(question), passages)

    assert quote_answer(AnalysedQuestion.of(question), passages, matches) is None
