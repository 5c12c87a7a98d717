"""Probes, and a model backend that is down, failing or slow: 503 with a clear message, quickly,
and normal answers again once it recovers. Uses the real OpenAI-compatible model client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.llm.openai_compat import OpenAICompatModel
from tests.api.conftest import (
    LENDING_QUESTION,
    LENDING_SOURCE,
    Corpus,
    FakeBackend,
    ServiceFactory,
    parse_sse,
)
from tests.servers import free_port, serve_app

# With timeout_s=1 and the client's one retry, a dead backend costs a few seconds, not minutes.
DEADLINE_S = 15.0


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_store_model_and_chunks(client: TestClient, corpus: Corpus) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "store": "ok",
        "model": "fake",
        "chunks": corpus.service.store.count(),
    }


def model_at(base_url: str) -> OpenAICompatModel:
    return OpenAICompatModel(base_url, "fake", None, timeout_s=1)


@pytest.fixture
def dead_port_app(service_factory: ServiceFactory) -> Iterator[TestClient]:
    service, settings = service_factory(model_at(f"http://127.0.0.1:{free_port()}/v1"))
    with TestClient(create_app(settings, service)) as c:
        yield c


def test_readyz_is_503_when_the_model_server_is_unreachable(dead_port_app: TestClient) -> None:
    response = dead_port_app.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "not reachable" in body["detail"]


def test_healthz_stays_200_when_the_model_server_is_unreachable(dead_port_app: TestClient) -> None:
    assert dead_port_app.get("/healthz").status_code == 200


CHAT_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/chat", {"question": LENDING_QUESTION}),
    ("/v1/chat", {"question": LENDING_QUESTION, "stream": True}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": LENDING_QUESTION}]}),
    (
        "/v1/chat/completions",
        {"messages": [{"role": "user", "content": LENDING_QUESTION}], "stream": True},
    ),
]


def assert_503(response: httpx.Response, words: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert words in detail, detail
    assert "Traceback" not in response.text


@pytest.mark.parametrize(("path", "body"), CHAT_CALLS)
def test_unreachable_model_is_503(
    dead_port_app: TestClient, path: str, body: dict[str, Any]
) -> None:
    started = time.monotonic()
    response = dead_port_app.post(path, json=body)

    assert_503(response, "cannot reach the model server at http://127.0.0.1:")
    assert time.monotonic() - started < DEADLINE_S


@pytest.fixture
def backend_app(
    service_factory: ServiceFactory, fake_backend: FakeBackend
) -> Iterator[tuple[str, FakeBackend]]:
    """The app over a real socket, its model a real OpenAI client talking to `fake_backend`."""
    service, settings = service_factory(model_at(fake_backend.base_url))
    with serve_app(create_app(settings, service)) as url:
        yield url, fake_backend


@pytest.mark.parametrize(("path", "body"), CHAT_CALLS)
def test_model_server_error_is_503(
    backend_app: tuple[str, FakeBackend], path: str, body: dict[str, Any]
) -> None:
    url, backend = backend_app
    backend.mode = "error"

    response = httpx.post(url + path, json=body, timeout=DEADLINE_S)

    assert_503(response, "answered HTTP 500")


# JSON calls only: a streamed call fails at the same first model read (before its first byte,
# as the error mode shows), and each timeout costs seconds.
@pytest.mark.parametrize(("path", "body"), CHAT_CALLS[::2])
def test_slow_model_server_times_out_as_503(
    backend_app: tuple[str, FakeBackend], path: str, body: dict[str, Any]
) -> None:
    url, backend = backend_app
    backend.mode = "slow"
    started = time.monotonic()

    response = httpx.post(url + path, json=body, timeout=DEADLINE_S)

    assert_503(response, "timed out")
    assert time.monotonic() - started < backend.sleep_s * 2


@pytest.mark.parametrize("mode", ["error", "slow"])
def test_readyz_is_503_while_the_model_server_misbehaves(
    backend_app: tuple[str, FakeBackend], mode: str
) -> None:
    url, backend = backend_app
    assert httpx.get(f"{url}/readyz").status_code == 200
    backend.mode = mode

    response = httpx.get(f"{url}/readyz", timeout=DEADLINE_S)

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_api_recovers_when_the_model_server_does(backend_app: tuple[str, FakeBackend]) -> None:
    url, backend = backend_app
    oai = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=DEADLINE_S)
    messages: Any = [{"role": "user", "content": LENDING_QUESTION}]

    for mode in ("error", "ok", "slow", "ok"):
        backend.mode = mode
        chat = httpx.post(f"{url}/v1/chat", json={"question": LENDING_QUESTION}, timeout=DEADLINE_S)
        if mode == "ok":
            assert chat.status_code == 200, chat.text
            assert chat.json()["citations"][0]["source"] == LENDING_SOURCE
            assert httpx.get(f"{url}/readyz").status_code == 200
            completion = oai.chat.completions.create(model="newsrag", messages=messages)
            assert "$100 billion" in (completion.choices[0].message.content or "")
        else:
            assert chat.status_code == 503, (mode, chat.text)
        if mode == "error":
            with pytest.raises(openai.InternalServerError) as caught:
                oai.chat.completions.create(model="newsrag", messages=messages)
            assert "answered HTTP 500" in caught.value.message


# --- the model server dies mid-answer ------------------------------------------------------


def test_broken_model_stream_is_503(backend_app: tuple[str, FakeBackend]) -> None:
    url, backend = backend_app
    backend.mode = "cut"

    response = httpx.post(f"{url}/v1/chat", json={"question": LENDING_QUESTION}, timeout=DEADLINE_S)

    assert_503(response, "cannot reach the model server")


def test_broken_model_stream_ends_the_sse_stream_with_an_error_event(
    backend_app: tuple[str, FakeBackend],
) -> None:
    url, backend = backend_app
    backend.mode = "cut"

    response = httpx.post(
        f"{url}/v1/chat", json={"question": LENDING_QUESTION, "stream": True}, timeout=DEADLINE_S
    )

    # The first token was already sent, so the status is 200 and the failure is an event.
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["token", "token", "error"]
    assert events[-1][1]["status"] == 503
    assert "model server" in events[-1][1]["detail"]


def test_broken_model_stream_is_an_error_for_the_openai_client(
    backend_app: tuple[str, FakeBackend],
) -> None:
    url, backend = backend_app
    backend.mode = "cut"
    oai = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=DEADLINE_S)
    messages: Any = [{"role": "user", "content": LENDING_QUESTION}]

    with pytest.raises(openai.APIError) as caught:
        list(oai.chat.completions.create(model="newsrag", messages=messages, stream=True))
    assert "model server" in str(caught.value)


def test_unreachable_model_recovers_when_its_server_comes_up(
    service_factory: ServiceFactory,
) -> None:
    port = free_port()
    service, settings = service_factory(model_at(f"http://127.0.0.1:{port}/v1"))
    with TestClient(create_app(settings, service)) as c:
        assert c.post("/v1/chat", json={"question": LENDING_QUESTION}).status_code == 503
        assert c.get("/readyz").status_code == 503
        with FakeBackend(port=port):
            assert c.get("/readyz").status_code == 200
            response = c.post("/v1/chat", json={"question": LENDING_QUESTION})
            assert response.status_code == 200, response.text
            assert response.json()["answered"] is True
