"""The shipped store contract and the end-to-end path, against a real Chroma server over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import chromadb
import httpx
import pytest

from api.app import create_app
from rag.documents.chunker import chunk_document
from rag.documents.loader import load_document
from rag.errors import BackendUnavailable
from rag.factory import build_service, build_store
from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import Settings, StoreSettings
from rag.store.base import VectorStore
from rag.store.chroma import ChromaStore
from rag.testing.store import StoreContract
from tests.conftest import ASTANA, BRI, CORPUS, TASS_LIKE, MemoEmbedder
from tests.scale.conftest import (
    FORTY_TWO,
    ChromaServer,
    require_chroma_cli,
    start_chroma,
)
from tests.servers import free_port, serve_app


class TestChromaServer(StoreContract):
    @pytest.fixture
    def store(self, chroma_server: ChromaServer, collection: str) -> VectorStore:
        return ChromaStore(
            collection, "contract-vectors", host=chroma_server.host, port=chroma_server.port
        )


def _server_settings(data_dir: Path, server: ChromaServer, collection: str) -> Settings:
    store = StoreSettings(host=server.host, port=server.port, collection=collection)
    return Settings(_env_file=None, data_dir=data_dir, store=store)  # type: ignore[call-arg]


def _collection_count(server: ChromaServer, collection: str) -> int:
    client = chromadb.HttpClient(
        host=server.host,
        port=server.port,
        settings=chromadb.Settings(anonymized_telemetry=False),
    )
    return int(client.get_collection(collection).count())


@pytest.mark.parametrize("names", ["conventional", "rag"])
def test_environment_selects_the_chroma_server(
    names: str,
    chroma_server: ChromaServer,
    collection: str,
    embedder: MemoEmbedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if names == "conventional":
        monkeypatch.setenv("CHROMA_HOST", chroma_server.host)
        monkeypatch.setenv("CHROMA_PORT", str(chroma_server.port))
    else:
        monkeypatch.setenv("RAG_STORE__HOST", chroma_server.host)
        monkeypatch.setenv("RAG_STORE__PORT", str(chroma_server.port))
    monkeypatch.setenv("RAG_STORE__COLLECTION", collection)
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    store = build_store(settings, embedder)
    chunks = chunk_document(load_document(CORPUS / ASTANA))[:3]
    store.upsert(chunks, embedder.embed([c.text for c in chunks]))
    # The rows are in the server, and nothing was written to the on-disk store's folder.
    assert _collection_count(chroma_server, collection) == 3
    assert not settings.chroma_path.exists()


def test_rag_port_wins_over_chroma_port(monkeypatch: pytest.MonkeyPatch) -> None:
    # The RAG_ names are the documented ones; the conventional names only fill gaps.
    monkeypatch.setenv("CHROMA_HOST", "chroma.internal")
    monkeypatch.setenv("CHROMA_PORT", "8001")
    monkeypatch.setenv("RAG_STORE__PORT", "9000")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.store.host, settings.store.port) == ("chroma.internal", 9000)
    monkeypatch.delenv("RAG_STORE__PORT")
    assert Settings(_env_file=None).store.port == 8001  # type: ignore[call-arg]


# --- end to end ----------------------------------------------------------------------------


@dataclass
class Deployment:
    """One ingested collection on the shared server, and the settings that point at it."""

    service: RagService
    settings: Settings
    collection: str
    llm: FakeChatModel


@pytest.fixture(scope="module")
def deployment(
    chroma_server: ChromaServer,
    embedder: MemoEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Deployment:
    collection = "e2e-articles"
    settings = _server_settings(tmp_path_factory.mktemp("e2e"), chroma_server, collection)
    llm = FakeChatModel(FORTY_TWO)
    service = build_service(settings, llm=llm, embedder=embedder)
    report = service.ingest([CORPUS])
    assert report.ok and len(report.added) == 5, report
    return Deployment(service, settings, collection, llm)


def test_ingest_goes_to_the_server_and_reingest_is_a_no_op(
    deployment: Deployment, chroma_server: ChromaServer, embedder: MemoEmbedder
) -> None:
    chunks = deployment.service.store.count()
    assert chunks > 0 and _collection_count(chroma_server, deployment.collection) == chunks
    assert not deployment.settings.chroma_path.exists()
    again = deployment.service.ingest([CORPUS])
    assert len(again.unchanged) == 5 and again.chunks_written == 0
    # A second replica (another API worker or host) sees the same documents and also
    # finds nothing to do: the server, not the process, holds the state.
    replica = build_service(deployment.settings, llm=FakeChatModel(), embedder=embedder)
    assert replica.documents() == deployment.service.documents()
    assert replica.ingest([CORPUS]).chunks_written == 0
    assert _collection_count(chroma_server, deployment.collection) == chunks


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("On what date did Xi and Putin meet at the SCO summit in Astana?", ASTANA),
        ("How much additional lending did Xi announce for the Belt and Road Initiative?", BRI),
        ("How many times have Xi and Putin met in the past ten years?", TASS_LIKE),
    ],
)
def test_hybrid_retrieval_over_the_server_finds_the_source(
    deployment: Deployment, question: str, source: str
) -> None:
    passages = deployment.service.retrieve(question)
    assert source in {p.chunk.source for p in passages}


def test_chat_over_http_with_the_store_on_the_server(deployment: Deployment) -> None:
    app = create_app(deployment.settings, deployment.service)
    with serve_app(app) as url:
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["chunks"] == deployment.service.store.count()
        r = httpx.post(
            f"{url}/v1/chat",
            json={"question": "How many times have Xi and Putin met in the past ten years?"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert "42" in body["answer"]
        assert body["citations"], body
        assert {c["source"] for c in body["citations"]} <= {TASS_LIKE, BRI}
        assert all("42" in c["quote"] for c in body["citations"])
        follow = httpx.post(
            f"{url}/v1/chat",
            json={"question": "And where?", "conversation_id": body["conversation_id"]},
            timeout=30,
        )
        assert follow.status_code == 200, follow.text
        conversations = deployment.service.conversations
        assert conversations is not None
        turns = conversations.history(body["conversation_id"])
        assert [t.question for t in turns] == [
            "How many times have Xi and Putin met in the past ten years?",
            "And where?",
        ]


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A server this test may stop without disturbing the shared one."""
    require_chroma_cli()
    server = start_chroma(tmp_path / "db", tmp_path)
    try:
        yield server
    finally:
        server.process.stop()


def test_a_stopped_chroma_server_is_a_503_not_a_hang(
    own_server: ChromaServer, embedder: MemoEmbedder, tmp_path: Path
) -> None:
    settings = _server_settings(tmp_path / "data", own_server, "articles")
    service = build_service(settings, llm=FakeChatModel(FORTY_TWO), embedder=embedder)
    assert service.ingest([CORPUS]).ok
    app = create_app(settings, service)
    with serve_app(app) as url:
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        own_server.process.stop()
        ready = httpx.get(f"{url}/readyz", timeout=30)
        assert ready.status_code == 503 and "Chroma" in ready.json()["detail"]
        chat = httpx.post(f"{url}/v1/chat", json={"question": "Who met in Astana?"}, timeout=30)
        assert chat.status_code == 503, chat.text
        assert "detail" in chat.json()


def test_an_unreachable_chroma_server_says_where_and_what_to_do(embedder: MemoEmbedder) -> None:
    port = free_port()  # released at once: nothing listens there
    with pytest.raises(
        BackendUnavailable, match=f"cannot reach the Chroma server at 127.0.0.1:{port}"
    ):
        ChromaStore("articles", embedder.name, host="127.0.0.1", port=port)


def test_a_replica_sees_documents_another_replica_added(
    chroma_server: ChromaServer, collection: str, embedder: MemoEmbedder, tmp_path: Path
) -> None:
    # Two API workers on one collection and one data dir: the writer's ingest reaches the
    # keyword index they share, so the reader finds the article by keyword at once.
    settings = _server_settings(tmp_path / "data", chroma_server, collection)
    writer = build_service(settings, llm=FakeChatModel(), embedder=embedder)
    reader = build_service(settings, llm=FakeChatModel(), embedder=embedder)
    assert writer.ingest([CORPUS]).ok
    question = "What did the Quollbridge harbour authority announce?"
    assert all(p.chunk.source != "quollbridge.txt" for p in reader.retrieve(question))
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "quollbridge.txt").write_text(
        " date 2024-08-01 Quollbridge harbour\n\n"
        "The Quollbridge harbour authority announced a new ferry terminal on Thursday."
    )
    assert writer.ingest([folder]).added == ["quollbridge.txt"]
    found = [p for p in reader.retrieve(question) if p.chunk.source == "quollbridge.txt"]
    assert found and found[0].sparse_rank == 1, "the reader's keyword index did not see the article"
