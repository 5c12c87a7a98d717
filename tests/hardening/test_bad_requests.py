"""Malformed, mistyped, oversized and mislabelled bodies get a 4xx JSON answer, never a 500.

(The API tests cover the size limits and the API key; these are the shapes a fuzzer, a broken
client or an attacker sends.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.settings import Settings
from tests.conftest import CORPUS

JSON = {"content-type": "application/json"}
NESTED = b'{"question": "q", "filters": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
# Just under the 5 MB request limit: 150,000 unknown keys, each one a validation error.
MANY_KEYS = (
    "{" + ",".join(f'"k{i}": "{"x" * 20}"' for i in range(150_000)) + ', "question": "q"}'
).encode()
MESSAGE = {"role": "user", "content": "hi"}

CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    # (id, method, path, request)
    ("syntax", "POST", "/v1/chat", {"content": b'{"question": ', "headers": JSON}),
    ("trailing-garbage", "POST", "/v1/chat", {"content": b'{"question": "q"} x', "headers": JSON}),
    ("empty-body", "POST", "/v1/chat", {"content": b"", "headers": JSON}),
    ("null", "POST", "/v1/chat", {"content": b"null", "headers": JSON}),
    ("array", "POST", "/v1/chat", {"json": [{"question": "q"}]}),
    ("string", "POST", "/v1/chat", {"json": "What happened?"}),
    ("question-number", "POST", "/v1/chat", {"json": {"question": 42}}),
    ("question-list", "POST", "/v1/chat", {"json": {"question": ["q"]}}),
    ("question-null", "POST", "/v1/chat", {"json": {"question": None}}),
    ("question-nan", "POST", "/v1/chat", {"content": b'{"question": NaN}', "headers": JSON}),
    ("question-inf", "POST", "/v1/chat", {"content": b'{"question": 1e999}', "headers": JSON}),
    ("stream-not-bool", "POST", "/v1/chat", {"json": {"question": "q", "stream": "maybe"}}),
    ("filters-string", "POST", "/v1/chat", {"json": {"question": "q", "filters": "x"}}),
    (
        "filters-bad-date",
        "POST",
        "/v1/chat",
        {"json": {"question": "q", "filters": {"date_from": "yesterday"}}},
    ),
    (
        "filters-sources-string",
        "POST",
        "/v1/chat",
        {"json": {"question": "q", "filters": {"sources": "a.txt"}}},
    ),
    (
        "conversation-id-path",
        "POST",
        "/v1/chat",
        {"json": {"question": "q", "conversation_id": "../../etc/passwd"}},
    ),
    (
        "conversation-id-number",
        "POST",
        "/v1/chat",
        {"json": {"question": "q", "conversation_id": 7}},
    ),
    ("deeply-nested", "POST", "/v1/chat", {"content": NESTED, "headers": JSON}),
    ("many-unknown-keys", "POST", "/v1/chat", {"content": MANY_KEYS, "headers": JSON}),
    ("invalid-utf8", "POST", "/v1/chat", {"content": b'{"question": "\xff\xfe"}', "headers": JSON}),
    (
        "text-plain",
        "POST",
        "/v1/chat",
        {"content": b'{"question": "q"}', "headers": {"content-type": "text/plain"}},
    ),
    ("form-urlencoded", "POST", "/v1/chat", {"data": {"question": "q"}}),
    ("multipart-to-chat", "POST", "/v1/chat", {"files": [("question", ("q.txt", b"q"))]}),
    ("no-content-type", "POST", "/v1/chat", {"content": b"question=q"}),
    ("get-on-post-route", "GET", "/v1/chat", {}),
    ("json-to-upload", "POST", "/v1/documents", {"json": {"files": ["a.txt"]}}),
    ("multipart-without-files", "POST", "/v1/documents", {"data": {"note": "no file here"}}),
    ("files-as-text-field", "POST", "/v1/documents", {"data": {"files": "not a file"}}),
    ("file-without-name", "POST", "/v1/documents", {"files": [("files", ("", b"text"))]}),
    (
        "multipart-without-boundary",
        "POST",
        "/v1/documents",
        {"content": b"abc", "headers": {"content-type": "multipart/form-data"}},
    ),
    (
        "multipart-wrong-boundary",
        "POST",
        "/v1/documents",
        {
            "content": b"--zzz\r\ngarbage\r\n",
            "headers": {"content-type": "multipart/form-data; boundary=xyz"},
        },
    ),
    (
        "multipart-truncated",
        "POST",
        "/v1/documents",
        {
            "content": b'--xyz\r\nContent-Disposition: form-data; name="files"; '
            b'filename="a.txt"\r\n\r\nhalf an arti',
            "headers": {"content-type": "multipart/form-data; boundary=xyz"},
        },
    ),
    ("openai-messages-string", "POST", "/v1/chat/completions", {"json": {"messages": "hi"}}),
    ("openai-messages-empty", "POST", "/v1/chat/completions", {"json": {"messages": []}}),
    (
        "openai-bad-role",
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [{"role": "robot", "content": "hi"}]}},
    ),
    (
        "openai-content-numbers",
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [{"role": "user", "content": [1, 2]}]}},
    ),
    (
        "openai-too-many-messages",
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [MESSAGE] * 201}},
    ),
    (
        "openai-syntax",
        "POST",
        "/v1/chat/completions",
        {"content": b'{"messages": [', "headers": JSON},
    ),
    ("delete-traversal-id", "DELETE", "/v1/documents/..%2F..%2Fetc%2Fpasswd", {}),
    ("delete-long-id", "DELETE", "/v1/documents/" + "a" * 5000, {}),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[TestClient]:
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("bad"))  # type: ignore[call-arg]
    service = build_service(settings, llm=FakeChatModel("NOT IN ARTICLES"), embedder=embedder)
    assert service.ingest([CORPUS]).ok
    # raise_server_exceptions=False: a 500 must show up as a response to assert on, the way a
    # real client would see it, rather than as an exception inside the test.
    with TestClient(create_app(settings, service), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_request_is_a_4xx_json_error(
    client: TestClient, method: str, path: str, request_kwargs: dict[str, Any]
) -> None:
    response = client.request(method, path, **request_kwargs)

    assert 400 <= response.status_code < 500, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    assert "Traceback" not in response.text
    # An error answer stays small whatever was sent: nothing is echoed back wholesale.
    assert len(response.content) < 16_000


def test_validation_errors_do_not_echo_the_body(client: TestClient) -> None:
    secret_looking = "sk-" + "z" * 40
    response = client.post("/v1/chat", json={"question": "q", "token": secret_looking})

    assert response.status_code == 422
    assert secret_looking not in response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "token"]


def test_many_validation_errors_are_summarised(client: TestClient) -> None:
    response = client.post("/v1/chat", content=MANY_KEYS, headers=JSON)

    detail = response.json()["detail"]
    assert response.status_code == 422
    assert len(detail) <= 21
    assert detail[-1]["type"] == "too_many_errors"


def test_service_still_answers_after_the_abuse(client: TestClient) -> None:
    for _, method, path, kwargs in CASES[:10]:
        client.request(method, path, **kwargs)
    response = client.post("/v1/chat", json={"question": "How many times have Xi and Putin met?"})
    assert response.status_code == 200
