"""A question's period over real Chroma and MiniLM: articles published in it or mentioning it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from rag.answer.time_scope import TimeScope, mentions, retrieve_in_scope
from rag.embeddings.base import Embedder
from rag.retrieval.hybrid import HybridRetriever
from rag.service import RagService
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
