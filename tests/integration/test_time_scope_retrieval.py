"""A question's period over real Chroma and MiniLM: articles published in it or mentioning it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from rag.embeddings.base import Embedder
from rag.retrieval.hybrid import HybridRetriever
from rag.retrieval.scoped import mentions, retrieve_in_scope
from rag.service import RagService
from rag.text.time_phrases import TimeScope
from rag.types import Filters
from tests.conftest import BRI

UNDATED = "001_0b3d8da0e1441ad0.txt"


class CountingEmbedder:
    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        return self.inner.embed(texts)


def test_an_october_article_that_mentions_march_is_in_a_march_scope(
    make_service: Callable[..., RagService], embedder: Embedder
) -> None:
    service = make_service()
    counting = CountingEmbedder(embedder)
    retriever = HybridRetriever(service.store, counting, service.retriever.keyword)
    question = "Who issued an arrest warrant for Putin in March 2023?"
    scope = TimeScope.of(question, retriever.newest_date())
    assert scope.period is not None
    got = retrieve_in_scope(retriever.retrieve, question, 16, Filters(), scope.period)
    # No sample article is from March 2023; the DW one of October says "In March" (2023), and
    # the undated one may be from any time. The dated others are out.
    assert BRI in {p.chunk.source for p in got}
    for p in got:
        assert p.chunk.date is None or mentions(p, scope.period), p.chunk.source
    assert {p.chunk.source for p in got} == {BRI, UNDATED}
    # Both searches embed the question once.
    assert counting.calls == 1


def test_the_reference_date_is_the_newest_article(make_service: Callable[..., RagService]) -> None:
    service = make_service()
    assert service.retriever.newest_date() == date(2024, 7, 4)
    scope = TimeScope.of("What did Xi say last week?", service.retriever.newest_date())
    assert scope.period is not None and scope.period.start == date(2024, 6, 24)


def test_retrieve_applies_the_questions_scope_like_ask(
    make_service: Callable[..., RagService],
) -> None:
    """`RagService.retrieve` (retrieval-only eval, the passages an answer gets) holds to the
    question's period: no sample article is from March 2023 except by mentioning it."""
    service = make_service()
    got = {p.chunk.source for p in service.retrieve("Who issued an arrest warrant in March 2023?")}
    assert BRI in got
    assert got <= {BRI, UNDATED}
    # An `as_of` caps publication dates.
    end_2023 = date(2023, 12, 31)
    capped = service.retrieve("What did Xi and Putin agree?", as_of=end_2023)
    assert capped and all(p.chunk.date is None or p.chunk.date <= end_2023 for p in capped)


def test_retrieve_puts_the_newest_article_first_for_latest_and_distinct_articles_in_top_k(
    make_service: Callable[..., RagService],
) -> None:
    service = make_service()
    latest = service.retrieve("What is the latest on relations between Xi and Putin?")
    assert latest[0].chunk.date == service.retriever.newest_date()
    # Three passages of one article ranked first for this question before the reordering.
    plain = service.retrieve("On what date did Putin land in Beijing for the Belt and Road forum?")
    assert len({p.chunk.doc_id for p in plain}) == len(plain) == 3


# Made-up reports of one story: the newest is about the flood, not the engineer asked about.
STORY = {
    "detained.txt": (
        " date 2017-03-03\nVelmora levee engineer detained\n\nPolice in Velmora detained the "
        "levee engineer Tomas Rell on Friday over the breach that flooded the river town. Rell "
        "is being held in police custody while investigators examine the levee's repair records."
    ),
    "released.txt": (
        " date 2017-03-06\nVelmora engineer released\n\nTomas Rell, the engineer held over the "
        "Velmora levee breach, was released from police custody on Monday without charge, his "
        "lawyer said. Investigators said the inquiry into the flood would continue."
    ),
    "recovery.txt": (
        " date 2017-03-20\nVelmora counts the cost of the flood\n\nTwo weeks after the levee "
        "breach, the river town of Velmora is still counting the cost. Police and the army are "
        "helping residents return home, and investigators have handed the flood inquiry's "
        "first findings to the regional governor."
    ),
}


def test_latest_is_the_newest_report_that_names_who_the_question_asks_about(
    make_service: Callable[..., RagService], tmp_path: Path
) -> None:
    corpus = tmp_path / "story"
    corpus.mkdir()
    for name, text in STORY.items():
        (corpus / name).write_text(text, encoding="utf-8")
    service = make_service(ingest=False)
    service.ingest([corpus])
    got = service.retrieve("Is Tomas Rell still in police custody?")
    # The flood's newest report clears the relevance floor of a three-article store, but only
    # the release names Rell: it is the latest on him.
    assert [p.chunk.source for p in got][:2] == ["released.txt", "detained.txt"]
