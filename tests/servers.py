"""Loopback servers for tests: small HTTP stubs in a thread, and a FastAPI app under uvicorn.

Everything listens on 127.0.0.1 only. The stubs speak just enough HTTP, JSON and OpenAI-style
server-sent events for the fakes built on them (model servers, the Slack Web API).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import httpx
import uvicorn
from fastapi import FastAPI

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A loopback port that nothing listens on right now: bound once to pick it, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


# --- HTTP stubs ----------------------------------------------------------------------------


class LoopbackServer:
    """A threading HTTP server on loopback whose subclasses answer in `on_get` and `on_post`.

    Bound on construction (port 0 picks a free one), served from `start()` or `with` on a
    daemon thread, one daemon thread per request.
    """

    def __init__(self, port: int = 0) -> None:
        self._server = _OwnedServer(self, port)
        # A short poll interval: shutdown() waits up to one, and tests start many of these.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server is bound to."""
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:<port>`, without a trailing slash."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        """Serve requests on a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        # shutdown() blocks until serve_forever() notices, which never happens if it never ran.
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def on_get(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer a GET request; by default 501, as for any method a server does not know."""
        handler.send_error(501)

    def on_post(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer a POST request; by default 501, as for any method a server does not know."""
        handler.send_error(501)


class _OwnedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: LoopbackServer, port: int) -> None:
        self.owner = owner
        super().__init__((LOOPBACK, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _OwnedServer

    def do_GET(self) -> None:
        self.server.owner.on_get(self)

    def do_POST(self) -> None:
        self.server.owner.on_post(self)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # keep test output quiet


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, as long as its Content-Length says (empty without one)."""
    return handler.rfile.read(int(handler.headers.get("content-length") or 0))


def send_json(
    handler: BaseHTTPRequestHandler,
    body: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Answer with `body` as JSON; `headers` add to or replace the content type."""
    data = json.dumps(body).encode()
    fields = {"content-type": "application/json", **(headers or {})}
    fields["content-length"] = str(len(data))
    handler.send_response(status)
    for name, value in fields.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


# --- OpenAI-compatible answers -------------------------------------------------------------


def models_listing(model: str) -> dict[str, Any]:
    """The body of `GET /v1/models` for a server that offers one model."""
    return {"object": "list", "data": [{"id": model, "object": "model"}]}


def chat_chunks(text: str, model: str) -> list[dict[str, Any]]:
    """`text` as `chat.completion.chunk` objects, one word each, as a real server streams it."""
    return [
        {
            "id": f"chatcmpl-{model}",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": word if i == 0 else " " + word},
                    "finish_reason": None,
                }
            ],
        }
        for i, word in enumerate(text.split(" "))
    ]


def sse_event(data: Any) -> bytes:
    """One server-sent event carrying `data` as JSON."""
    return f"data: {json.dumps(data)}\n\n".encode()


def stream_chat_completion(handler: BaseHTTPRequestHandler, text: str, model: str) -> None:
    """Answer a streamed chat completion with `text`, ending in `data: [DONE]`."""
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream")
    handler.end_headers()
    for chunk in chat_chunks(text, model):
        handler.wfile.write(sse_event(chunk))
    handler.wfile.write(b"data: [DONE]\n\n")
    # No content-length: the end of the connection marks the end of the stream.
    handler.close_connection = True


# --- a FastAPI app on a real socket --------------------------------------------------------


@contextmanager
def serve_app(
    app: FastAPI, timeout_s: float = 15.0, ready_path: str | None = "/healthz"
) -> Iterator[str]:
    """Run `app` under uvicorn in a thread on a free loopback port; yield its base URL.

    Ready once uvicorn has started and, unless `ready_path` is None, that path answers 200.
    The socket is bound here and handed to uvicorn, so no other process can take the port
    between choosing it and listening on it.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    base_url = f"http://{LOOPBACK}:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    probe = None if ready_path is None else base_url + ready_path
    try:
        _wait_ready(server, thread, probe, timeout_s)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=timeout_s)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not shut down"


def _wait_ready(
    server: uvicorn.Server, thread: threading.Thread, probe: str | None, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited before it was ready")
        if server.started and (probe is None or _answers(probe)):
            return
        time.sleep(0.05)
    raise RuntimeError(f"uvicorn was not ready within {timeout_s} s (probe: {probe})")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False
