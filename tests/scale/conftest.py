"""Scale-out fixtures: a real Chroma server, real model servers and API workers as processes.

Everything listens on 127.0.0.1 only. Each server is a child process in its own session, so
teardown can stop it and anything it spawned without touching other processes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, add_timeouts, clean_environment
from tests.servers import (
    LoopbackServer,
    free_port,
    models_listing,
    read_body,
    send_json,
    stream_chat_completion,
)

# The CLI that the chromadb package installs next to this interpreter (.venv/bin/chroma).
CHROMA_CLI = Path(sys.executable).parent / "chroma"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    add_timeouts(
        config,
        items,
        Path(__file__).parent,
        lambda item: 900 if item.get_closest_marker("slow") is not None else 120,
    )


@pytest.fixture(scope="package", autouse=True)
def _isolated_environment() -> Iterator[None]:
    with clean_environment():
        yield


# --- embedder ------------------------------------------------------------------------------


@pytest.fixture
def collection() -> str:
    """A collection name no other test uses, so tests share one server without interfering."""
    return f"t-{uuid.uuid4().hex[:12]}"


# --- child processes -----------------------------------------------------------------------


@dataclass
class ServerProcess:
    """A server started as a child process, logging to a file that failures quote."""

    name: str
    args: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=ROOT,
                start_new_session=True,  # its own process group: stop() reaches its workers
            )

    def wait_ready(self, probe: Callable[[], bool], timeout_s: float) -> None:
        """Poll `probe` until it holds; fail with the log tail if the process dies or stalls."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before it was ready:\n"
                    f"{self.log_tail()}"
                )
            try:
                if probe():
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready within {timeout_s} s:\n{self.log_tail()}")

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM to the whole group, SIGKILL if it lingers. Safe to call twice."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=timeout_s)
                return
            except subprocess.TimeoutExpired:
                continue

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def _heartbeat(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        # trust_env=False: the session server starts before the environment is cleaned.
        url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
        r = httpx.get(url, timeout=1.0, trust_env=False)
        return r.status_code == 200

    return probe


@dataclass
class ChromaServer:
    host: str
    port: int
    path: Path
    process: ServerProcess


def start_chroma(path: Path, log_dir: Path, timeout_s: float = 30.0) -> ChromaServer:
    """`chroma run` on a free loopback port, retried if the port was taken meanwhile."""
    last: Exception | None = None
    for attempt in range(3):
        port = free_port()
        cli = str(CHROMA_CLI) if CHROMA_CLI.exists() else shutil.which("chroma") or "chroma"
        args = [cli, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
        server = ServerProcess("chroma run", args, log_dir / f"chroma-{port}-{attempt}.log")
        server.start()
        try:
            server.wait_ready(_heartbeat(port), timeout_s)
        except RuntimeError as exc:
            server.stop()
            last = exc
            continue
        return ChromaServer("127.0.0.1", port, path, server)
    raise RuntimeError(f"could not start a Chroma server: {last}")


def require_chroma_cli() -> None:
    if not CHROMA_CLI.exists() and shutil.which("chroma") is None:
        pytest.skip(
            f"the `chroma` CLI is missing ({CHROMA_CLI}); it ships with the chromadb package: "
            "reinstall the project (scripts/setup.sh)"
        )


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One real Chroma server for the session; tests keep apart by collection name."""
    require_chroma_cli()
    folder = tmp_path_factory.mktemp("chroma-server")
    server = start_chroma(folder / "db", folder)
    try:
        yield server
    finally:
        server.process.stop()


# --- an OpenAI-compatible stub model server ------------------------------------------------

FORTY_TWO = "Xi and Putin have met 42 times [1]."
STANDALONE = "How many times have Xi and Putin met in the past ten years?"


class StubModelServer(LoopbackServer):
    """A minimal OpenAI-compatible chat server: `/v1/models` and streamed completions.

    Rewrites follow-ups (the condense prompt) into one fixed standalone question and answers
    everything else with `reply`, in `chat.completion.chunk` server-sent events like a real
    server. Every request body is kept, so tests can see what the API workers sent.
    """

    def __init__(self, reply: str = FORTY_TWO) -> None:
        super().__init__()
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self.base_url = f"{self.origin}/v1"
        self._lock = threading.Lock()

    def on_get(self, handler: BaseHTTPRequestHandler) -> None:
        """List the one model."""
        send_json(handler, models_listing("stub"))

    def on_post(self, handler: BaseHTTPRequestHandler) -> None:
        """Record the request, then stream the rewrite or the reply."""
        request = json.loads(read_body(handler))
        with self._lock:
            self.requests.append(request)
        prompt = request["messages"][-1]["content"]
        text = STANDALONE if "Follow-up question:" in prompt else self.reply
        stream_chat_completion(handler, text, model="stub")
