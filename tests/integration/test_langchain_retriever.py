"""`NewsRetriever` under LangChain's own standard retriever suite (langchain-tests), over a real
Chroma store on disk and the real MiniLM embedder, plus what the suite does not cover."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag.embeddings.base import Embedder
from rag.errors import InvalidInput
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.retrieval.langchain_adapter import NewsRetriever
from rag.service import RagService
from rag.settings import Settings
from rag.types import Filters
from tests.conftest import ASTANA, BRI, CORPUS

QUERY = "extra Belt and Road lending $100 billion"


@pytest.fixture(scope="module")
def news_service(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> RagService:
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("lc"))  # type: ignore[call-arg]
    service = build_service(settings, llm=FakeChatModel(), embedder=embedder)
    assert service.ingest([CORPUS]).ok
    assert any(settings.chroma_path.iterdir())  # Chroma persisted on disk, not in memory
    return service


# The suite's one async test (`ainvoke`) is a bare `async def`; anyio's pytest plugin runs it
# (on asyncio) and, unlike pytest-asyncio's mark, leaves the sync tests alone without warnings.
@pytest.mark.anyio
class TestNewsRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _service(self, news_service: RagService) -> None:
        self.service = news_service

    @property
    def retriever_constructor(self) -> type[NewsRetriever]:
        return NewsRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"service": self.service}

    @property
    def retriever_query_example(self) -> str:
        return QUERY


def test_k_per_call_overrides_the_constructor(news_service: RagService) -> None:
    retriever = NewsRetriever(service=news_service, k=4)

    assert len(retriever.invoke(QUERY, k=1)) == 1
    assert len(retriever.invoke(QUERY)) == 4
    [doc] = retriever.invoke(QUERY, k=1)
    assert isinstance(doc, Document) and doc.metadata["source"] == BRI


def test_filters_per_call(news_service: RagService) -> None:
    retriever = NewsRetriever(service=news_service, k=3)
    july = Filters(date_from=date(2024, 7, 1), date_to=date(2024, 7, 31))

    docs = retriever.invoke("Xi and Putin meeting", filters=july)
    assert docs and {d.metadata["source"] for d in docs} == {ASTANA}


@pytest.mark.parametrize("k", [0, -1, True, "2"])
def test_a_bad_k_is_refused(news_service: RagService, k: object) -> None:
    with pytest.raises(InvalidInput, match="k must be"):
        NewsRetriever(service=news_service).invoke(QUERY, k=k)
