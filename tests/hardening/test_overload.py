"""Overload (OWASP LLM10): a fast 503 beyond the bound, never a queue that grows without bound.

A real uvicorn server over loopback, the real service (MiniLM, Chroma on disk), and a model
that takes turns like the embedded one (`TurnLock`) but holds each generation until the test
lets it go, so every step waits for an event, not for time.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from rag.cancellation import Cancellation, QuestionCancelled
from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.turns import TurnLock
from rag.service import Token
from rag.settings import ApiSettings, Settings
from rag.types import Message
from tests.conftest import CORPUS, clean_environment
from tests.servers import serve_app

pytestmark = pytest.mark.timeout(180)

QUESTION = "How much additional lending did Xi announce for the Belt and Road?"
ANSWER = "Xi announced an additional $100 billion in loans [1]."
LIMIT = 3
# Generous: only reached when the awaited event never comes (the test then fails).
WAIT_S = 60.0


class HeldModel:
    """One generation at a time, in turn, like the embedded model; each one writes its first
    word, then waits until `release()` (or its question is cancelled) before the rest."""

    name = "held"

    def __init__(self) -> None:
        self.turns = TurnLock()
        self.calls: list[str] = []  # the user prompt of every call that reached the model
        self.stopped = 0  # generations ended by a cancellation
        self._cond = threading.Condition()
        self._released = False

    def release(self) -> None:
        with self._cond:
            self._released = True
            self._cond.notify_all()

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Iterator[str]:
        with self.turns.turn(cancel):
            with self._cond:
                self.calls.append(messages[-1].content)
                self._cond.notify_all()
            words = ANSWER.split(" ")
            yield words[0]
            self._hold(cancel)
            if cancel is not None and cancel.cancelled:
                with self._cond:
                    self.stopped += 1
                    self._cond.notify_all()
                cancel.raise_if_cancelled()
            for word in words[1:]:
                yield " " + word

    def _hold(self, cancel: Cancellation | None) -> None:
        def wake() -> None:
            with self._cond:
                self._cond.notify_all()

        unregister = cancel.on_cancel(wake) if cancel is not None else lambda: None
        try:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._released or (cancel is not None and cancel.cancelled),
                    timeout=WAIT_S,
                )
        finally:
            unregister()

    def ping(self) -> None:
        return None


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for a state the server reaches on its own; fail if it never does."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


class Server:
    def __init__(self, url: str, model: HeldModel, app: Any) -> None:
        self.url = url
        self.model = model
        self.admission = app.state.admission
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=WAIT_S)


@pytest.fixture
def server(tmp_path: Path, embedder: Embedder) -> Iterator[Server]:
    """The app (bound LIMIT, body timeout 0.5 s) over the sample corpus and a held model."""
    model = HeldModel()
    with clean_environment():
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=tmp_path,
            api=ApiSettings(max_pending_questions=LIMIT, body_timeout_s=0.5),
        )
        service = build_service(settings, llm=model, embedder=embedder)
        assert service.ingest([CORPUS]).ok
        app = create_app(settings, service)
        try:
            with serve_app(app) as url:
                yield Server(url, model, app)
        finally:
            model.release()  # never leave a server thread held


def post(url: str, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(url + path, json=body, headers=headers, timeout=WAIT_S, trust_env=False)


def raw_request(path: str, body: bytes, extra: str = "", declared: int | None = None) -> bytes:
    length = len(body) if declared is None else declared
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    )
    return head.encode() + body


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def chat_body(stream: bool = False) -> dict[str, Any]:
    return {"question": QUESTION, "stream": stream}


def occupy(server: Server, pool: ThreadPoolExecutor, waiting: int) -> list[Future[httpx.Response]]:
    """One question in the model (held) and `waiting` more in line for it."""
    first = pool.submit(post, server.url, "/v1/chat", chat_body())
    wait_until(lambda: len(server.model.calls) == 1, "the first question reaches the model")
    rest = [pool.submit(post, server.url, "/v1/chat", chat_body()) for _ in range(waiting)]
    wait_until(lambda: server.model.turns.waiting == waiting, f"{waiting} questions wait")
    return [first, *rest]


def test_questions_beyond_the_bound_get_a_fast_503_and_the_rest_are_answered(
    server: Server,
) -> None:
    with ThreadPoolExecutor(8) as pool:
        admitted = occupy(server, pool, waiting=LIMIT - 1)

        # Answered while the model is still held: none of these waited for it.
        beyond = [
            post(server.url, "/v1/chat", chat_body()),
            post(server.url, "/v1/chat", chat_body(stream=True)),
            post(
                server.url,
                "/v1/chat/completions",
                {"messages": [{"role": "user", "content": QUESTION}]},
            ),
        ]
        health = httpx.get(server.url + "/healthz", timeout=WAIT_S, trust_env=False)
        assert not any(f.done() for f in admitted)
        server.model.release()
        answers = [f.result() for f in admitted]

    for response in beyond:
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) >= 1
        assert "busy" in response.json()["detail"]
    assert beyond[2].json()["error"]["type"] == "server_error"  # the OpenAI client's shape
    assert health.status_code == 200
    assert [r.status_code for r in answers] == [200] * LIMIT
    assert all(r.json()["answer"] == ANSWER for r in answers)
    assert len(server.model.calls) == LIMIT
    wait_until(lambda: server.admission.pending == 0, "every place is given back")


def test_a_question_whose_client_left_never_reaches_the_model(server: Server) -> None:
    with ThreadPoolExecutor(2) as pool:
        [first] = occupy(server, pool, waiting=0)
        plain, streamed = server.connect(), server.connect()
        plain.sendall(raw_request("/v1/chat", json.dumps(chat_body()).encode()))
        streamed.sendall(raw_request("/v1/chat", json.dumps(chat_body(stream=True)).encode()))
        wait_until(lambda: server.model.turns.waiting == 2, "both wait for the model")

        plain.close()
        streamed.close()
        wait_until(lambda: server.model.turns.waiting == 0, "both leave the line")
        wait_until(lambda: server.admission.pending == 1, "both places are given back")
        server.model.release()
        assert first.result().status_code == 200

    # A later question still gets its turn, and only the two that stayed ran.
    assert post(server.url, "/v1/chat", chat_body()).status_code == 200
    assert len(server.model.calls) == 2


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
def test_a_client_leaving_mid_answer_stops_the_generation(server: Server, stream: bool) -> None:
    client = server.connect()
    client.sendall(raw_request("/v1/chat", json.dumps(chat_body(stream=stream)).encode()))
    if stream:
        seen = b""
        while b"event: token" not in seen:  # the client has the first word
            chunk = client.recv(65536)
            assert chunk, f"the stream ended before a token: {seen!r}"
            seen += chunk
    else:
        wait_until(lambda: len(server.model.calls) == 1, "the model is generating")
    client.close()

    wait_until(lambda: server.model.stopped == 1, "the generation stops")
    wait_until(lambda: not server.model.turns.busy, "the model's turn is given back")
    wait_until(lambda: server.admission.pending == 0, "its place is given back")
    server.model.release()
    assert post(server.url, "/v1/chat", chat_body()).status_code == 200


def test_a_body_that_never_arrives_gets_408_and_the_connection_closes(server: Server) -> None:
    with server.connect() as client:
        # Declares 1,000 bytes, sends 12 and stops, as a stalled or hostile client does.
        client.sendall(raw_request("/v1/chat", b'{"question":', declared=1000))
        response = read_all(client)  # returns only once the server closes the connection

    status, _, rest = response.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 408"), response
    assert b"connection: close" in rest.lower()
    assert "did not arrive" in json.loads(rest.split(b"\r\n\r\n", 1)[1])["detail"]
    assert server.model.calls == []


def test_an_unread_partial_body_does_not_keep_the_connection(server: Server) -> None:
    # /healthz never reads a body, so the timeout never fires; the answer closes instead.
    with server.connect() as client:
        client.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nabc"
        )
        response = read_all(client)

    assert response.startswith(b"HTTP/1.1 200")
    assert b"connection: close" in response.lower()


def test_health_answers_while_the_model_is_busy_and_questions_wait(server: Server) -> None:
    with ThreadPoolExecutor(4) as pool:
        admitted = occupy(server, pool, waiting=LIMIT - 1)
        checks = [httpx.get(server.url + "/healthz", timeout=WAIT_S, trust_env=False)]
        checks += [httpx.get(server.url + "/healthz", timeout=WAIT_S, trust_env=False)]
        assert not any(f.done() for f in admitted)
        server.model.release()
        assert [f.result().status_code for f in admitted] == [200] * LIMIT
    assert [c.status_code for c in checks] == [200, 200]


# --- the service on its own (Slack, the CLI and the eval call it directly) ---------------


def test_a_cancelled_question_stops_before_retrieval_and_the_model(
    make_service: Callable[..., Any],
) -> None:
    service = make_service(reply=ANSWER)
    cancel = Cancellation()
    cancel.cancel()

    with pytest.raises(QuestionCancelled):
        service.ask(QUESTION, cancel=cancel)
    assert service.llm.calls == []


def test_a_question_cancelled_mid_answer_stops_between_tokens(
    make_service: Callable[..., Any],
) -> None:
    service = make_service(reply=ANSWER)
    cancel = Cancellation()
    events = service.ask_stream(QUESTION, cancel=cancel)

    assert isinstance(next(events), Token)
    cancel.cancel()
    with pytest.raises(QuestionCancelled):
        next(events)
    assert len(service.llm.calls) == 1


# --- the embedded model itself --------------------------------------------------------------


@pytest.fixture(scope="module")
def local_model() -> Any:
    from rag.llm.local import LocalModel
    from rag.llm.model_files import ensure_model_file

    with clean_environment():
        return LocalModel(ensure_model_file(Settings(_env_file=None).model_cache_dir))  # type: ignore[call-arg]


PROMPT = [Message("user", "Count from one to fifty in words, separated by commas.")]


@pytest.mark.slow
def test_the_embedded_model_stops_at_the_next_token_and_takes_the_next_turn(
    local_model: Any,
) -> None:
    cancel = Cancellation()
    stream = local_model.stream(PROMPT, max_tokens=200, cancel=cancel)
    first = next(stream)
    cancel.cancel()

    with pytest.raises(QuestionCancelled):
        next(stream)
    # The turn is free and llama.cpp's state fit for the next question.
    again = "".join(local_model.stream(PROMPT, max_tokens=8))
    assert first.strip() and again.strip()


@pytest.mark.slow
def test_the_embedded_model_never_reads_a_cancelled_question(local_model: Any) -> None:
    cancel = Cancellation()
    cancel.cancel()

    with pytest.raises(QuestionCancelled):
        next(local_model.stream(PROMPT, max_tokens=8, cancel=cancel))
