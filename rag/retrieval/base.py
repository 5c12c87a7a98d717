"""What the answer path needs from retrieval: the seam `RagService` depends on.

`HybridRetriever` (dense + keyword, fused) is the one shipped; a different retriever (a search
service, a reranker in front of another one) plugs in through `build_service(retriever=...)`
by having these four methods.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from rag.types import Filters, Passage


class Retriever(Protocol):
    """Passages for a question, and the two facts about the corpus the answer path asks."""

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        """The `k` passages most likely to answer `query`, best first."""
        ...

    def for_question(self, stored: int) -> Retriever:
        """This retriever for the searches of one question; `stored` is the store's chunk
        count the caller has just read (so an index can catch up once, not per search)."""
        ...

    def newest_date(self) -> date | None:
        """The newest article's date: what "last week" and "latest" count back from."""
        ...

    def unknown_names(self, question: str) -> list[str]:
        """The question's names that no stored article mentions."""
        ...
