"""One question, one count of the store: on a shared Chroma server each count is a round trip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rag.answer.prompts import Prompts
from rag.ingest import Ingestor
from rag.llm.fake import FakeChatModel
from rag.retrieval.fts import SqliteKeywordIndex
from rag.retrieval.hybrid import HybridRetriever
from rag.retrieval.indexed_store import KeywordIndexedStore
from rag.service import RagService
from rag.store.chroma import ChromaStore
from tests.conftest import CORPUS, MemoEmbedder

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
# A time phrase: retrieval searches twice (in the period, and mentioning it).
QUESTION = "What did Xi and Putin discuss in Astana in July 2024?"


@pytest.fixture
def counted(
    tmp_path: Path, embedder: MemoEmbedder, monkeypatch: pytest.MonkeyPatch
) -> tuple[RagService, Callable[[], int]]:
    """A service that watches its store as on a shared server, and how often it counted it."""
    chroma = ChromaStore("articles", embedder.name, path=tmp_path / "chroma")
    index = SqliteKeywordIndex(tmp_path / "keyword.sqlite3")
    store = KeywordIndexedStore(chroma, index)
    Ingestor(store, embedder).ingest_paths([CORPUS])
    calls: list[int] = []
    real = chroma.count

    def count() -> int:
        calls.append(1)
        return real()

    monkeypatch.setattr(chroma, "count", count)
    service = RagService(
        store=store,
        retriever=HybridRetriever(store, embedder, index, watch_store=True),
        ingestor=Ingestor(store, embedder),
        llm=lambda: FakeChatModel("NOT IN ARTICLES"),
        prompts=Prompts(PROMPTS),
    )
    return service, lambda: len(calls)


def test_a_question_with_a_time_scope_counts_the_store_once(
    counted: tuple[RagService, Callable[[], int]],
) -> None:
    service, counts = counted

    answer = service.ask(QUESTION)

    assert answer.passages  # it did search
    assert counts() == 1


def test_a_retrieval_counts_the_store_once(counted: tuple[RagService, Callable[[], int]]) -> None:
    service, counts = counted

    assert service.retrieve(QUESTION)
    assert counts() == 1
