"""The OpenAI-compatible embeddings backend against a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from rag.errors import BackendUnavailable
from rag.factory import build_embedder, build_service
from rag.llm.fake import FakeChatModel
from rag.settings import EmbeddingSettings, Settings
from tests.conftest import CORPUS


class _Embeddings(BaseHTTPRequestHandler):
    """Answers /v1/embeddings with a bag-of-letters vector: similar texts, similar vectors."""

    calls: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), **body}
        )
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            return
        data = [
            {"object": "embedding", "index": i, "embedding": _vector(text)}
            for i, text in enumerate(body["input"])
        ]
        payload = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 0, "total_tokens": 0},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def _vector(text: str) -> list[float]:
    counts = [float(text.lower().count(chr(c))) for c in range(ord("a"), ord("z") + 1)]
    norm = sum(v * v for v in counts) ** 0.5 or 1.0
    return [v / norm for v in counts]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Embeddings)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_openai_embeddings_backend_ingests_and_retrieves(server: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        embedding=EmbeddingSettings(
            backend="openai", base_url=server, model="letters", api_key="sk-test"
        ),  # type: ignore[arg-type]
    )
    service = build_service(settings, llm=FakeChatModel())
    report = service.ingest([CORPUS])
    assert report.ok and len(report.added) == 5
    assert service.retrieve("Xi and Putin in Astana")
    calls = _Embeddings.calls
    assert calls and all(c["path"] == "/v1/embeddings" for c in calls)
    assert {c["auth"] for c in calls} == {"Bearer sk-test"}
    assert all(c["model"] == "letters" for c in calls)


def test_embedding_server_errors_are_backend_unavailable(server: str, tmp_path: Path) -> None:
    embedder = build_embedder(
        Settings(
            data_dir=tmp_path,
            embedding=EmbeddingSettings(backend="openai", base_url=server, model="broken"),
        )
    )
    with pytest.raises(BackendUnavailable, match="HTTP 500"):
        embedder.embed(["hello"])
