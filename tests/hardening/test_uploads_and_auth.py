"""Uploads cannot write outside the upload folder; the API key cannot be got around."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.settings import ApiSettings, Settings
from tests.conftest import CORPUS

ARTICLE = b" date 2024-07-05 Harbour notes\n\nThe harbour wall in Bergen will rise by 2 metres.\n"
BOUNDARY = "hardening-boundary-7f3a"
KEY = "k3y-Hardening-9b21"


def multipart(filename: bytes, data: bytes = ARTICLE) -> tuple[bytes, dict[str, str]]:
    """A hand-built body, so the file name arrives exactly as given (httpx would escape it)."""
    body = (
        f"--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"; filename="'
        + filename
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[tuple[TestClient, Settings, Path]]:
    root = tmp_path_factory.mktemp("uploads")
    settings = Settings(_env_file=None, data_dir=root / "data")  # type: ignore[call-arg]
    service = build_service(settings, llm=FakeChatModel("NOT IN ARTICLES"), embedder=embedder)
    with TestClient(create_app(settings, service), raise_server_exceptions=False) as client:
        yield client, settings, root


TRAVERSAL_NAMES = [
    b"../evil.txt",
    b"../../evil.txt",
    b"../../../../../../tmp/evil.txt",
    b"..\\..\\evil.txt",
    b"/tmp/evil.txt",
    b"/etc/cron.d/evil.txt",
    b"a/../../evil.txt",
    b"uploads/../../evil.txt",
    b"....//....//evil.txt",
    b"%2e%2e%2fevil.txt",
    b"..%2f..%2fevil.txt",
    b"C:\\Windows\\evil.txt",
    b"~/evil.txt",
    b"..",
    b".",
    b".evil.txt",
    b"evil.txt/",
    "\uff0e\uff0e\uff0fevil.txt".encode(),  # full-width dots and slash
    b"evil\x00.txt",
    b"evil.txt\x00../../x",
    b"con.txt",
    b"e" * 300 + b".txt",
]


@pytest.mark.parametrize("name", TRAVERSAL_NAMES, ids=[repr(n)[2:40] for n in TRAVERSAL_NAMES])
def test_upload_names_cannot_escape_the_upload_folder(
    env: tuple[TestClient, Settings, Path], name: bytes
) -> None:
    client, settings, root = env
    before = _files(root)
    body, headers = multipart(name)

    response = client.post("/v1/documents", content=body, headers=headers)

    assert response.status_code in (200, 400, 415, 422), response.text
    assert response.headers["content-type"].startswith("application/json")
    uploads = settings.upload_dir.resolve()
    new = _files(root) - before
    outside = {
        p
        for p in new
        if not p.is_relative_to(settings.data_dir.resolve() / "chroma")
        and p.name not in {"conversations.sqlite3", "conversations.sqlite3-wal"}
        and p.name != "conversations.sqlite3-shm"
        and p.parent != uploads
    }
    assert not outside, f"{name!r} wrote {outside}"
    for p in new:
        if p.parent == uploads:
            assert "/" not in p.name and ".." not in p.name and not p.name.startswith(".")
    if response.status_code == 200:
        [stored] = response.json()
        assert (uploads / stored["source"]).is_file()


def test_a_symlink_in_the_upload_folder_is_not_followed(
    env: tuple[TestClient, Settings, Path],
) -> None:
    client, settings, root = env
    victim = root / "victim.txt"
    victim.write_text("do not overwrite")
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    link = settings.upload_dir / "linked.txt"
    link.symlink_to(victim)
    body, headers = multipart(b"linked.txt")

    response = client.post("/v1/documents", content=body, headers=headers)

    assert 400 <= response.status_code < 500
    assert victim.read_text() == "do not overwrite"


def _files(root: Path) -> set[Path]:
    return {Path(dirpath, f).resolve() for dirpath, _, files in os.walk(root) for f in files}


# --- the API key --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[TestClient]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path_factory.mktemp("keyed"), api=ApiSettings(api_key=KEY)
    )
    service = build_service(settings, llm=FakeChatModel("NOT IN ARTICLES"), embedder=embedder)
    service.ingest([CORPUS])
    with TestClient(create_app(settings, service), raise_server_exceptions=False) as client:
        yield client


def v1_routes() -> list[tuple[str, str]]:
    """Every /v1 route the app has, read from its OpenAPI schema so a new one is covered too.

    (Not from `app.routes`: this FastAPI keeps included routers there as opaque entries.)
    """
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, service=object())  # type: ignore[arg-type]
    routes = [
        (method.upper(), path.replace("{doc_id}", "0123456789abcdef"))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1")
        for method in operations
    ]
    assert len(routes) >= 5, routes
    return routes


def body_for(method: str, path: str) -> dict[str, Any]:
    if method != "POST":
        return {}
    if path == "/v1/documents":
        return {"files": [("files", ("note.txt", ARTICLE))]}
    if path == "/v1/chat/completions":
        return {"json": {"messages": [{"role": "user", "content": "How often did they meet?"}]}}
    return {"json": {"question": "How often did Xi and Putin meet?"}}


# (id, headers, query string): none of these carries the key where the API looks for it.
BYPASSES: list[tuple[str, dict[str, str], str]] = [
    ("no-header", {}, ""),
    ("empty-bearer", {"Authorization": "Bearer "}, ""),
    ("bare-key", {"Authorization": KEY}, ""),
    ("basic-scheme", {"Authorization": f"Basic {KEY}"}, ""),
    ("token-scheme", {"Authorization": f"Token {KEY}"}, ""),
    ("scheme-glued", {"Authorization": f"Bearer{KEY}"}, ""),
    ("comma", {"Authorization": f"Bearer,{KEY}"}, ""),
    ("tab", {"Authorization": f"Bearer\t{KEY}"}, ""),
    ("key-upper", {"Authorization": f"Bearer {KEY.upper()}"}, ""),
    ("key-lower", {"Authorization": f"Bearer {KEY.lower()}"}, ""),
    ("key-prefix", {"Authorization": f"Bearer {KEY[:-1]}"}, ""),
    ("key-suffix", {"Authorization": f"Bearer {KEY}0"}, ""),
    ("key-twice", {"Authorization": f"Bearer {KEY} {KEY}"}, ""),
    ("x-api-key", {"X-API-Key": KEY}, ""),
    ("api-key-header", {"api-key": KEY}, ""),
    ("cookie", {"Cookie": f"Authorization=Bearer {KEY}; api_key={KEY}"}, ""),
    ("proxy-authorization", {"Proxy-Authorization": f"Bearer {KEY}"}, ""),
    ("query-api_key", {}, f"?api_key={KEY}"),
    ("query-access_token", {}, f"?access_token={KEY}"),
    ("query-key", {}, f"?key={KEY}"),
    ("query-authorization", {}, f"?Authorization=Bearer%20{KEY}"),
]


@pytest.mark.parametrize(("method", "path"), v1_routes())
@pytest.mark.parametrize(
    ("headers", "query"), [b[1:] for b in BYPASSES], ids=[b[0] for b in BYPASSES]
)
def test_no_way_around_the_key(
    keyed: TestClient, method: str, path: str, headers: dict[str, str], query: str
) -> None:
    response = keyed.request(method, path + query, headers=headers, **body_for(method, path))

    assert response.status_code == 401, response.text
    assert KEY not in response.text


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_name_is_case_insensitive_but_the_key_is_not(
    keyed: TestClient, scheme: str
) -> None:
    # RFC 7235: auth scheme names are case-insensitive; the credential is compared exactly.
    assert (
        keyed.get("/v1/documents", headers={"Authorization": f"{scheme} {KEY}"}).status_code == 200
    )
    swapped = KEY.swapcase()
    assert (
        keyed.get("/v1/documents", headers={"Authorization": f"{scheme} {swapped}"}).status_code
        == 401
    )


@pytest.mark.parametrize(
    "path",
    [
        "/v1/documents/",
        "/v1/%64ocuments",
        "/v1/chat/completions/",
        "/V1/documents",
        "/v1//documents",
    ],
)
def test_path_spellings_do_not_reach_a_route_unguarded(keyed: TestClient, path: str) -> None:
    response = keyed.get(path, follow_redirects=True)
    assert response.status_code in (401, 404, 405), (path, response.status_code)


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_other_methods_on_guarded_routes_are_not_open(keyed: TestClient, method: str) -> None:
    for path in ("/v1/documents", "/v1/chat"):
        assert keyed.request(method, path).status_code in (401, 405)
