"""The service depends on the `Retriever` protocol, not on the hybrid retriever: another one
plugs in through `build_service(retriever=...)` and every question goes through it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.retrieval.base import Retriever
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from rag.store.base import VectorStore
from rag.types import Filters, Passage
from tests.conftest import CORPUS

QUESTION = "How much new lending did Xi announce for the Belt and Road?"


class RecordingRetriever:
    """Answers every search with the hybrid retriever's passages, remembering the queries; its
    corpus ends on a date of its own choosing."""

    def __init__(self, inner: Retriever) -> None:
        self.inner = inner
        self.queries: list[str] = []
        self.counts: list[int] = []

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        self.queries.append(query)
        return self.inner.retrieve(query, k, filters)

    def for_question(self, stored: int) -> Retriever:
        self.counts.append(stored)
        return self

    def newest_date(self) -> date | None:
        return date(2030, 1, 1)

    def unknown_names(self, question: str) -> list[str]:
        return []


def test_a_retriever_given_to_build_service_serves_ask_and_retrieve(
    tmp_path: Path, embedder: Embedder
) -> None:
    made: list[RecordingRetriever] = []

    def recording(store: VectorStore, embedder: Embedder) -> Retriever:
        from rag.retrieval.fts import SqliteKeywordIndex

        inner = HybridRetriever(store, embedder, SqliteKeywordIndex(tmp_path / "kw.sqlite3"))
        made.append(RecordingRetriever(inner))
        return made[0]

    settings = Settings(data_dir=tmp_path / "data")  # type: ignore[call-arg]
    service = build_service(
        settings, llm=FakeChatModel("NOT IN ARTICLES"), embedder=embedder, retriever=recording
    )
    service.ingest([CORPUS])
    (retriever,) = made

    passages = service.retrieve(QUESTION)
    answer = service.ask(QUESTION)

    assert passages and QUESTION in retriever.queries
    assert retriever.queries.count(QUESTION) == 2  # once for retrieve, once for ask
    assert retriever.counts == [service.store.count()] * 2
    assert answer.passages
    # "last week" counted back from this retriever's newest date, not the corpus's.
    scoped = service.ask("What did Xi say last week?")
    assert any("December 2029" in note for note in scoped.notes), scoped.notes
