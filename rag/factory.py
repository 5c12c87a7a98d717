"""The one place that chooses implementations from settings. Heavy imports stay lazy."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rag.answer.prompts import Prompts
from rag.embeddings.base import Embedder
from rag.ingest import Ingestor
from rag.llm.base import ChatModel
from rag.retrieval.base import Retriever
from rag.retrieval.hybrid import HybridRetriever
from rag.retrieval.indexed_store import KeywordIndexedStore
from rag.retrieval.keyword import KeywordIndex
from rag.retrieval.keyword_sync import bring_in_step
from rag.service import RagService
from rag.settings import Settings
from rag.state.conversations.base import ConversationStore
from rag.state.conversations.sqlite import SqliteConversationStore
from rag.state.event_ledger.base import EventLedger
from rag.state.write_lock.base import WriteLock
from rag.state.write_lock.file import FileWriteLock
from rag.store.base import VectorStore
from rag.text.nlp import shared_pipeline

if TYPE_CHECKING:
    from rag.state.postgres import Database


def build_embedder(s: Settings) -> Embedder:
    batch = {"batch_size": s.embedding.batch_size} if s.embedding.batch_size else {}
    if s.embedding.backend == "openai":
        from rag.embeddings.openai_compat import OpenAIEmbedder

        key = s.embedding.api_key or s.llm.api_key
        return OpenAIEmbedder(
            s.embedding.model,
            s.embedding.base_url or s.llm.base_url,
            key.get_secret_value() if key else None,
            **batch,
        )
    from rag.embeddings.onnx_minilm import MiniLMEmbedder

    return MiniLMEmbedder(threads=s.embedding.threads, **batch)


def build_store(s: Settings, embedder: Embedder) -> VectorStore:
    from rag.store.chroma import ChromaStore

    return ChromaStore(
        collection=s.store.collection,
        embedder_name=embedder.name,
        path=None if s.store.host else s.chroma_path,
        host=s.store.host,
        port=s.store.port,
        data_dir=s.data_dir,
    )


def build_keyword_index(s: Settings) -> KeywordIndex:
    if s.retrieval.keyword_backend == "memory":
        from rag.retrieval.bm25 import BM25Index

        return BM25Index()
    from rag.retrieval.fts import SqliteKeywordIndex

    return SqliteKeywordIndex(s.keyword_index_path)


def build_event_ledger(s: Settings) -> EventLedger:
    """Where chat-platform event claims live: the shared Postgres database when
    `RAG_CONVERSATIONS__URL` is set (every host), else a SQLite file that the workers on this
    data dir share."""
    db = shared_database(s)
    if db is not None:
        from rag.state.event_ledger.postgres import PostgresEventLedger

        return PostgresEventLedger(db)
    from rag.state.event_ledger.sqlite import SqliteEventLedger

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


def _postgres_url(s: Settings) -> str | None:
    url = s.conversations.url.get_secret_value().strip() if s.conversations.url else ""
    return url or None


# One `Database` per URL and pool size in this process. A forked child inherits this dict and
# the objects in it: each `Database` notices the new pid and opens a pool of its own.
_databases: dict[tuple[str, int], Database] = {}
_databases_lock = threading.Lock()


def shared_database(s: Settings) -> Database | None:
    """The process's one Postgres pool on `RAG_CONVERSATIONS__URL` (None when unset), which
    the conversation store, the event ledger and the write lock share: a worker keeps at most
    `RAG_CONVERSATIONS__POOL_SIZE` connections, whatever it builds. Made on first call; its
    pool opens on first use."""
    url = _postgres_url(s)
    if url is None:
        return None
    from rag.state.postgres import Database  # needs the `postgres` extra: a clear error if not

    key = (url, s.conversations.pool_size)
    with _databases_lock:
        db = _databases.get(key)
        if db is None:
            db = _databases[key] = Database(url, s.conversations.pool_size)
        return db


def close_shared_databases() -> None:
    """Close the pools `shared_database` opened in this process (tests, or a clean exit)."""
    with _databases_lock:
        opened = list(_databases.values())
        _databases.clear()
    for db in opened:
        db.close()


def build_conversations(s: Settings) -> ConversationStore:
    """SQLite under the data folder, or the shared Postgres database when its URL is set."""
    db = shared_database(s)
    if db is None:
        return SqliteConversationStore(s.conversations_path, s.conversations.max_turns)
    from rag.state.conversations.postgres import PostgresConversationStore

    return PostgresConversationStore(db, s.conversations.max_turns)


def build_write_lock(s: Settings) -> WriteLock:
    """The upload/delete lock: a file lock for one host, a Postgres advisory lock for many."""
    timeout_s = s.api.write_lock_timeout_s
    db = shared_database(s)
    if db is None:
        return FileWriteLock(s.write_lock_path, timeout_s)
    from rag.state.write_lock.postgres import PostgresWriteLock

    return PostgresWriteLock(db, timeout_s)


def build_service(
    s: Settings,
    *,
    llm: ChatModel | None = None,
    embedder: Embedder | None = None,
    retriever: Callable[[VectorStore, Embedder], Retriever] | None = None,
) -> RagService:
    """A ready service; pass `llm` or `embedder` to swap in fakes or shared instances, and
    `retriever` to build another `Retriever` over the store and embedder (default: hybrid)."""
    embedder = embedder or build_embedder(s)
    vectors = build_store(s, embedder)  # first: its errors say what is wrong with the data dir
    keyword = build_keyword_index(s)
    store = KeywordIndexedStore(vectors, keyword)
    # A normal start compares two counts; only an index out of step is mended, logged at INFO
    # (`rag serve` shows it; a CLI command's stderr keeps to its own one-line errors).
    bring_in_step(keyword, store, logging.INFO)
    # Only a Chroma server can change under us (another host's upload); an on-disk store is
    # written through this host's index alone.
    chosen: Retriever = (
        retriever(store, embedder)
        if retriever is not None
        else HybridRetriever(
            store,
            embedder,
            keyword,
            s.retrieval.candidates,
            s.retrieval.rrf_k,
            watch_store=s.store.host is not None,
        )
    )
    ingestor = Ingestor(store, embedder, s.chunking.max_chars, s.chunking.overlap_chars)
    return RagService(
        store=store,
        retriever=chosen,
        ingestor=ingestor,
        llm=(lambda: llm) if llm is not None else (lambda: build_llm(s)),
        prompts=Prompts(s.prompts_dir),
        conversations=build_conversations(s),
        top_k=s.retrieval.top_k,
        focus_pool=s.retrieval.focus_pool,
        excerpt_chars=s.retrieval.excerpt_chars,
        max_tokens=s.llm.max_tokens,
        temperature=s.llm.temperature,
        max_question_chars=s.max_question_chars,
        nlp=shared_pipeline(s.nlp.model),
    )
