"""The one place that chooses implementations from settings. Heavy imports stay lazy."""

from __future__ import annotations

from rag.conversations import ConversationStore
from rag.embeddings.base import Embedder
from rag.events import EventLedger
from rag.ingest import Ingestor
from rag.llm.base import ChatModel
from rag.prompts import Prompts
from rag.retrieval.hybrid import HybridRetriever
from rag.service import RagService
from rag.settings import Settings
from rag.store.base import VectorStore


def build_embedder(s: Settings) -> Embedder:
    if s.embedding.backend == "openai":
        from rag.embeddings.openai_compat import OpenAIEmbedder

        key = s.embedding.api_key or s.llm.api_key
        return OpenAIEmbedder(
            s.embedding.model,
            s.embedding.base_url or s.llm.base_url,
            key.get_secret_value() if key else None,
            s.embedding.batch_size,
        )
    from rag.embeddings.onnx_minilm import MiniLMEmbedder

    return MiniLMEmbedder(batch_size=s.embedding.batch_size)


def build_store(s: Settings, embedder: Embedder) -> VectorStore:
    from rag.store.chroma import ChromaStore

    return ChromaStore(
        collection=s.store.collection,
        embedder_name=embedder.name,
        path=None if s.store.host else s.chroma_path,
        host=s.store.host,
        port=s.store.port,
    )


def build_event_ledger(s: Settings) -> EventLedger:
    """Where chat-platform event claims live: a SQLite file that the workers on this data dir
    share."""
    from rag.event_ledger_sqlite import SqliteEventLedger

    return SqliteEventLedger(s.events_path)


def build_llm(s: Settings) -> ChatModel:
    if s.llm.backend == "openai":
        from rag.llm.openai_compat import OpenAICompatModel

        return OpenAICompatModel(
            s.llm.base_url,
            s.llm.model,
            s.llm.api_key.get_secret_value() if s.llm.api_key else None,
            s.llm.timeout_s,
            s.llm.max_retries,
        )
    from rag.llm.local import LocalModel
    from rag.llm.model_files import ensure_model_file

    path = s.llm.model_path or ensure_model_file(s.model_cache_dir)
    return LocalModel(path, n_ctx=s.llm.n_ctx, n_threads=s.llm.n_threads)


def build_service(
    s: Settings, *, llm: ChatModel | None = None, embedder: Embedder | None = None
) -> RagService:
    """A ready service; pass `llm` or `embedder` to swap in fakes or shared instances."""
    embedder = embedder or build_embedder(s)
    store = build_store(s, embedder)
    retriever = HybridRetriever(store, embedder, s.retrieval.candidates, s.retrieval.rrf_k)
    ingestor = Ingestor(store, embedder, s.chunking.max_chars, s.chunking.overlap_chars)
    return RagService(
        store=store,
        retriever=retriever,
        ingestor=ingestor,
        llm=(lambda: llm) if llm is not None else (lambda: build_llm(s)),
        prompts=Prompts(s.prompts_dir),
        conversations=ConversationStore(s.conversations_path),
        top_k=s.retrieval.top_k,
        focus_pool=s.retrieval.focus_pool,
        excerpt_chars=s.retrieval.excerpt_chars,
        max_tokens=s.llm.max_tokens,
        temperature=s.llm.temperature,
        max_question_chars=s.max_question_chars,
    )
