"""The embedded GGUF behind llama-cpp-python's own OpenAI-compatible server, used over HTTP.

Marked slow: loading the model and each answer take seconds to tens of seconds on 2 cores.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.factory import build_service
from rag.llm.model_files import ensure_model_file
from rag.service import RagService
from rag.settings import LLMSettings, Settings
from tests.conftest import BRI, CORPUS, TASS_LIKE, MemoEmbedder
from tests.scale.conftest import ServerProcess
from tests.servers import free_port

pytestmark = pytest.mark.slow

MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"
# What `python -m llama_cpp.server` imports beyond llama-cpp-python itself (its `server` extra).
SERVER_MODULES = {
    "sse_starlette": "sse-starlette",
    "starlette_context": "starlette-context",
    "pydantic_settings": "pydantic-settings",
    "yaml": "PyYAML",
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
}


def _require_server_packages() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (the `local` extra)")
    missing = [pkg for mod, pkg in SERVER_MODULES.items() if importlib.util.find_spec(mod) is None]
    if missing:
        pytest.skip(
            "llama_cpp.server needs packages that are not installed: "
            f"{', '.join(missing)}; install the `dev` extra (scripts/setup.sh local,dev)"
        )


class ModelServer:
    """`python -m llama_cpp.server` on a free loopback port, ready once /v1/models answers."""

    def __init__(self, model_path: Path, log_dir: Path) -> None:
        self.model_path = model_path
        self.log_dir = log_dir
        self.port = 0
        self.process: ServerProcess | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        last = ""
        for attempt in range(3):
            self.port = free_port()
            # n_ctx matches LLMSettings' default; 2 threads because the box has 2 cores.
            args = [
                sys.executable, "-m", "llama_cpp.server",
                "--model", str(self.model_path), "--model_alias", MODEL_ALIAS,
                "--host", "127.0.0.1", "--port", str(self.port),
                "--n_ctx", "4096", "--n_threads", "2",
            ]  # fmt: skip
            self.process = ServerProcess(
                "llama_cpp.server", args, self.log_dir / f"llama-{attempt}.log"
            )
            self.process.start()
            try:
                self.process.wait_ready(self._models_listed, timeout_s=180)
                return
            except RuntimeError as exc:
                self.process.stop()
                last = str(exc)
        raise RuntimeError(f"llama_cpp.server did not start: {last}")

    def _models_listed(self) -> bool:
        r = httpx.get(f"{self.base_url}/models", timeout=2.0)
        return r.status_code == 200 and MODEL_ALIAS in r.text

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@pytest.fixture
def model_server(tmp_path: Path) -> Iterator[ModelServer]:
    _require_server_packages()
    # Joined once into the project's own cache (.rag/models) and reused by later runs.
    server = ModelServer(ensure_model_file(Settings().model_cache_dir), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _service(
    server: ModelServer, data_dir: Path, embedder: MemoEmbedder
) -> tuple[RagService, Settings]:
    llm = LLMSettings(backend="openai", base_url=server.base_url, model=MODEL_ALIAS)
    settings = Settings(_env_file=None, data_dir=data_dir, llm=llm)  # type: ignore[call-arg]
    service = build_service(settings, embedder=embedder)  # the real openai-compatible client
    assert service.ingest([CORPUS]).ok
    return service, settings


def test_42_meetings_answered_by_the_model_server(
    model_server: ModelServer, tmp_path: Path, embedder: MemoEmbedder
) -> None:
    service, _ = _service(model_server, tmp_path / "data", embedder)
    answer = service.ask("How many times have Xi and Putin met in the past ten years?")
    assert answer.answered, answer.notes
    assert "42" in answer.text
    assert answer.citations
    assert {c.source for c in answer.citations} <= {TASS_LIKE, BRI}
    assert all("42" in c.quote for c in answer.citations)
    assert service.llm.name == MODEL_ALIAS


def test_readyz_follows_the_model_server(
    model_server: ModelServer, tmp_path: Path, embedder: MemoEmbedder
) -> None:
    service, settings = _service(model_server, tmp_path / "data", embedder)
    with TestClient(create_app(settings, service)) as client:
        up = client.get("/readyz")
        assert up.status_code == 200, up.text
        assert up.json()["model"] == MODEL_ALIAS
        model_server.stop()
        down = client.get("/readyz")
        assert down.status_code == 503
        assert model_server.base_url in down.json()["detail"]
