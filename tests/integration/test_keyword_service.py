"""The real path: Chroma on disk, MiniLM, the SQLite keyword index, through the service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.ingest import Ingestor
from rag.retrieval.fts import SqliteKeywordIndex
from rag.retrieval.hybrid import HybridRetriever
from rag.retrieval.indexed_store import KeywordIndexedStore
from rag.service import RagService
from rag.store.chroma import ChromaStore
from tests.conftest import CORPUS, MemoEmbedder

ARTICLE = (
    b" date 2017-02-25 Quollbridge harbour\n\n"
    b"The Quollbridge harbour authority announced a new ferry terminal two days ago."
)
QUESTION = "What did the Quollbridge harbour authority announce?"


def test_an_upload_is_found_by_keyword_and_vector_at_once_and_a_restart_rebuilds_nothing(
    make_service: Callable[..., RagService], caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service()
    service.add_document(ARTICLE, "quollbridge.txt")

    [top, *_] = service.retrieve(QUESTION)
    assert top.chunk.source == "quollbridge.txt"
    assert top.sparse_rank == 1 and top.dense_rank is not None
    # The relative date is resolved in the indexed text too.
    assert "23 February 2017" in top.chunk.annotated

    caplog.set_level(logging.INFO, logger="newsrag")
    restarted = make_service(ingest=False)
    assert not [r for r in caplog.records if "keyword index" in r.getMessage()]
    assert restarted.retriever.keyword.count() == restarted.store.count()
    assert restarted.retrieve(QUESTION)[0].sparse_rank == 1

    restarted.delete_document(top.chunk.doc_id)
    assert all(p.chunk.source != "quollbridge.txt" for p in service.retrieve(QUESTION))
    assert not service.retriever.keyword.mentions("Quollbridge")


def test_a_missing_keyword_index_is_rebuilt_from_the_store_at_start(
    make_service: Callable[..., RagService], caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service()
    chunks = service.store.count()
    path = service.retriever.keyword.path  # type: ignore[attr-defined]
    service.retriever.keyword.close()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)

    caplog.set_level(logging.INFO, logger="newsrag")
    restarted = make_service(ingest=False)

    assert restarted.retriever.keyword.count() == chunks
    assert any("keyword index is empty" in r.getMessage() for r in caplog.records)
    assert restarted.retrieve("Where will the next SCO summit be held?")[0].sparse_rank == 1


def test_a_host_whose_index_missed_another_hosts_writes_mends_it_on_the_next_question(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    # Two hosts on one Chroma collection, each with its own keyword file: the writer's upload
    # reaches only its own index, so the reader's sees a count that differs from the store's.
    chroma = ChromaStore("articles", embedder.name, path=tmp_path / "chroma")
    writer = KeywordIndexedStore(chroma, SqliteKeywordIndex(tmp_path / "a" / "keyword.sqlite3"))
    reader_index = SqliteKeywordIndex(tmp_path / "b" / "keyword.sqlite3")
    reader = HybridRetriever(KeywordIndexedStore(chroma, reader_index), embedder, reader_index)
    Ingestor(writer, embedder).ingest_paths([CORPUS])
    doc, _ = Ingestor(writer, embedder).ingest_bytes(ARTICLE, "quollbridge.txt")

    [top, *_] = reader.retrieve(QUESTION, 3)

    assert top.chunk.doc_id == doc.doc_id and top.sparse_rank == 1
    assert reader_index.count() == chroma.count()
