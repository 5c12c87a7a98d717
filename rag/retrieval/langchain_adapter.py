"""The hybrid retriever as a LangChain `BaseRetriever`, for LangChain chains and agents."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag.errors import InvalidInput
from rag.presenters import passage_to_dict
from rag.types import Filters


class NewsRetriever(BaseRetriever):
    """`NewsRetriever(service=svc, k=4).invoke("question")` → LangChain documents whose
    `page_content` has relative dates resolved and whose metadata carries source and offsets.

    `k` and `filters` may also be given per call, as LangChain's standard retriever tests
    expect: `retriever.invoke("question", k=1)` returns one document.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    service: Any  # rag.service.RagService; Any keeps pydantic from inspecting it
    k: int = Field(4, ge=1)
    filters: Filters | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> list[LCDocument]:
        k = self.k if k is None else k
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidInput(f"k must be a whole number of documents, at least 1; got {k!r}")
        passages = self.service.retriever.retrieve(query, k, filters or self.filters)
        out = []
        for p in passages:
            meta = passage_to_dict(p)
            text = meta.pop("text")
            out.append(LCDocument(page_content=text, metadata=meta))
        return out
