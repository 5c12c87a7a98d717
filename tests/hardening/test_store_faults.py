"""A Chroma folder that disappears or cannot be written gives a clear error, never a trace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bench.corpus import write_corpus
from rag.documents.loader import doc_id_for
from rag.errors import BackendUnavailable
from rag.service import RagService
from rag.settings import Settings
from rag.store.chroma import ChromaStore
from rag.types import Chunk, Message
from tests.hardening.conftest import clean_env
from tests.servers import serve_app

QUESTION = "How many times have Xi and Putin met in the past ten years?"
# The figure is in this article's passage, so the real citation check keeps the claim and [1].
LENDING_SOURCE = "000_f4d4d8ba4c92511d.txt"
LENDING_QUESTION = "How much additional lending did Xi announce for the Belt and Road?"
LENDING_ANSWER = "Xi announced an additional $100 billion in loans [1]."


def test_chroma_folder_deleted_under_a_running_service(
    make_service: Callable[..., RagService], tmp_path: Path
) -> None:
    service = make_service(reply="NOT IN ARTICLES")
    data_dir = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    with TestClient(create_app(settings, service), raise_server_exceptions=False) as client:
        assert client.post("/v1/chat", json={"question": QUESTION}).status_code == 200
        before = client.get("/v1/documents").json()

        shutil.copytree(data_dir / "chroma", tmp_path / "backup")
        shutil.rmtree(data_dir / "chroma")

        ready = client.get("/readyz")
        upload = client.post(
            "/v1/documents", files=[("files", ("late.txt", b"A late article about tea prices."))]
        )
        chat = client.post("/v1/chat", json={"question": QUESTION})
        # The open handles could still list the old documents: the listing must not.
        listing = client.get("/v1/documents")
        delete = client.delete(f"/v1/documents/{before[0]['doc_id']}")

        # Restored from the backup: used again without a restart.
        shutil.copytree(tmp_path / "backup", data_dir / "chroma")
        restored = client.get("/v1/documents")
        again = client.post(
            "/v1/documents", files=[("files", ("late.txt", b"A late article about tea prices."))]
        )
        after = client.get("/v1/documents").json()

    for response in (ready, upload, chat, listing, delete):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert "Traceback" not in response.text
    for response in (upload, listing, delete):
        assert "is gone" in response.json()["detail"] and "restart" in response.json()["detail"]
    assert restored.status_code == 200 and restored.json() == before
    assert again.status_code == 200, again.text
    assert [d["source"] for d in after] == sorted([d["source"] for d in before] + ["late.txt"])
    assert all(d["complete"] for d in after)


def test_restart_after_the_folder_was_deleted_says_to_ingest(tmp_path: Path) -> None:
    # A new process finds an empty store: the message must say what to do, not crash.
    folder = tmp_path / "articles"
    write_corpus(folder, 2, seed=3, paragraphs=(1, 1))
    env = clean_env(RAG_DATA_DIR=str(tmp_path / "data"))
    rag = [sys.executable, "-m", "api.cli"]
    subprocess.run([*rag, "ingest", str(folder)], env=env, check=True, capture_output=True)
    shutil.rmtree(tmp_path / "data" / "chroma")

    result = subprocess.run(
        [*rag, "ask", "What happened?"], env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: no articles have been ingested yet; run `rag ingest data/articles`"
    ]


def _read_only_runner(data_dir: Path) -> list[str]:
    """A command prefix under which `data_dir` cannot be written, or a skip.

    chmod is enough for an ordinary user. root ignores file modes, so as root the folder is
    bind-mounted read-only in a private mount namespace (which vanishes with the process).
    """
    if os.geteuid() != 0:
        for path in [data_dir, *data_dir.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        return []
    unshare = shutil.which("unshare")
    probe = (
        subprocess.run([unshare, "-m", "--propagation", "private", "true"], capture_output=True)
        if unshare
        else None
    )
    if probe is None or probe.returncode != 0:
        pytest.skip(
            "running as root, where chmod does not stop writes, and no mount namespace is "
            "available for a read-only bind mount"
        )
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return [unshare, "-m", "--propagation", "private", "sh", "-c", script, str(data_dir)]


@pytest.mark.parametrize("command", [["documents"], ["ingest", "NEW"], ["ask", QUESTION]])
def test_read_only_store_is_a_one_line_error(tmp_path: Path, command: list[str]) -> None:
    folder, new = tmp_path / "articles", tmp_path / "new"
    write_corpus(folder, 2, seed=5, paragraphs=(1, 1))
    write_corpus(new, 1, seed=6, paragraphs=(1, 1))
    data_dir = tmp_path / "data"
    env = clean_env(RAG_DATA_DIR=str(data_dir))
    rag = [sys.executable, "-m", "api.cli"]
    subprocess.run([*rag, "ingest", str(folder)], env=env, check=True, capture_output=True)
    runner = _read_only_runner(data_dir)
    try:
        args = [str(new) if a == "NEW" else a for a in command]
        result = subprocess.run(
            [*runner, *rag, *args], env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        if not runner:  # undo the chmod so pytest can clean up
            for path in [data_dir, *data_dir.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)

    assert result.returncode == 2, result.stderr[-2000:]
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: cannot open the Chroma store at ")
    assert "readonly" in line or "read-only" in line


# --- a read-only folder under a running server ----------------------------------------------


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` and all in it cannot be written, by this process too, until the block ends.

    chmod for an ordinary user. root ignores file modes, so as root the files are made
    immutable (`chattr +i`, which root obeys); a skip where the file system has no such flag.
    """
    paths = [folder, *folder.rglob("*")]
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(modes[path] & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    made = (
        subprocess.run([chattr, "-R", "+i", str(folder)], capture_output=True) if chattr else None
    )
    if made is None or made.returncode != 0:
        if chattr:
            subprocess.run([chattr, "-R", "-i", str(folder)], capture_output=True)
        pytest.skip("running as root, where chmod does not stop writes, and chattr +i fails here")
    try:
        probe = folder / ".probe"
        with pytest.raises(OSError):
            probe.write_bytes(b"x")
        yield
    finally:
        subprocess.run([chattr, "-R", "-i", str(folder)], check=True, capture_output=True)


def long_article(topic: str, sentences: int = 900) -> bytes:
    """An article of 70-odd chunks: more than one store write (64 chunks each)."""
    lines = [f" date 2024-03-0{len(topic) % 9 + 1} The {topic} report", ""]
    for i in range(sentences):
        lines.append(f"The {topic} office counted {i * 7 + 3} visitors on day {i} of the fair.")
        if i % 8 == 7:
            lines.append("")
    return "\n".join(lines).encode()


def upload(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return client.post("/v1/documents", files=[("files", (name, data))])


@contextmanager
def running_app(service: RagService, data_dir: Path) -> Iterator[httpx.Client]:
    """The real app under uvicorn on loopback, over `service`."""
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    with (
        serve_app(create_app(settings, service)) as url,
        httpx.Client(base_url=url, timeout=120) as client,
    ):
        yield client


def physically_stored(service: RagService, data_dir: Path, ids: Sequence[str]) -> set[str]:
    """Which ids are on disk, hidden or not: a second store object has no hidden set."""
    name = service.retriever._embedder.name
    return ChromaStore("articles", name, path=data_dir / "chroma").existing(ids)


# The whole data folder (the write lock fails first), only the store, only the upload copies
# (which used to be written after the store, so a 503 came back for a stored upload).
@pytest.mark.parametrize("folder", ["data", "data/chroma", "data/uploads"])
def test_read_only_folder_gives_true_503s_and_is_used_again_without_restart(
    make_service: Callable[..., RagService], tmp_path: Path, folder: str
) -> None:
    service = make_service()
    data_dir = tmp_path / "data"
    with running_app(service, data_dir) as client:
        kept = upload(client, "kept.txt", b"Tea prices rose in Assam this spring, traders said.")
        assert kept.status_code == 200, kept.text
        [kept_doc] = kept.json()
        before = client.get("/v1/documents").json()

        with read_only(tmp_path / folder):
            new = upload(client, "new.txt", b"Coffee prices fell in Brazil, traders said.")
            delete = client.delete(f"/v1/documents/{kept_doc['doc_id']}")
            listing = client.get("/v1/documents")

        # Writable again: the same server, no restart.
        new_again = upload(client, "new.txt", b"Coffee prices fell in Brazil, traders said.")
        delete_again = client.delete(f"/v1/documents/{kept_doc['doc_id']}")
        after = client.get("/v1/documents").json()

    # A 503 means nothing changed: the listing while read-only is the one from before.
    for response in (new, delete):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/json")
    assert listing.status_code == 200 and listing.json() == before
    assert new_again.status_code == 200, new_again.text
    assert new_again.json()[0]["complete"] is True
    assert delete_again.status_code == 200, delete_again.text
    sources = sorted({d["source"] for d in before} - {"kept.txt"} | {"new.txt"})
    assert [d["source"] for d in after] == sources
    assert all(d["complete"] for d in after)
    assert service.store.count() == sum(d["chunks"] for d in after)
    uploads = {p.name for p in (data_dir / "uploads").iterdir()}
    assert uploads == {"new.txt"}  # no stray temporary copies either


def test_upload_that_fails_half_way_leaves_no_chunks(
    make_service: Callable[..., RagService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first store write goes in, then the folder turns read-only: the rollback cannot
    delete either, so the chunks are hidden until the store takes writes again."""
    (tmp_path / "scratch").mkdir()
    with read_only(tmp_path / "scratch"):  # skips here, not in the server, where it cannot
        pass
    service = make_service()
    data_dir = tmp_path / "data"
    store = service.store.inner  # Chroma, under the keyword index's write-through
    assert isinstance(store, ChromaStore)
    real_upsert = store.upsert
    written: list[str] = []
    stop = read_only(data_dir / "chroma")

    def upsert_then_break(chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        if written:
            stop.__enter__()  # the second write meets a read-only folder
        real_upsert(chunks, vectors)
        written.extend(c.chunk_id for c in chunks)

    big = long_article("harbour")
    monkeypatch.setattr(store, "upsert", upsert_then_break)
    with running_app(service, data_dir) as client:
        before = client.get("/v1/documents").json()
        try:
            failed = upload(client, "big.txt", big)
            listing = client.get("/v1/documents")
        finally:
            stop.__exit__(None, None, None)
        monkeypatch.setattr(store, "upsert", real_upsert)
        # The next write deletes the hidden chunks first; then the upload goes in whole.
        other = upload(client, "other.txt", b"Tea prices rose in Assam this spring.")
        on_disk_after = physically_stored(service, data_dir, written)
        again = upload(client, "big.txt", big)

    assert failed.status_code == 503, failed.text
    assert len(written) == 64, "the first write went in, the second did not"
    assert listing.json() == before, "half a document is never listed"
    assert other.status_code == 200, other.text
    assert on_disk_after == set()
    assert again.status_code == 200, again.text
    [doc] = again.json()
    assert doc["complete"] is True and doc["chunks"] > 64


def test_writes_that_fail_after_they_went_through_answer_success(
    make_service: Callable[..., RagService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma can fail after its log write ("Error in compaction"): the write stands, and the
    client is told so, not 503."""
    service = make_service()
    store = service.store.inner  # Chroma, under the keyword index's write-through
    assert isinstance(store, ChromaStore)
    real_upsert, real_delete = store.upsert, store._delete_now

    def upsert_then_fail(chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        real_upsert(chunks, vectors)
        raise BackendUnavailable("the Chroma store failed: Error in compaction")

    def delete_then_fail(ids: Sequence[str]) -> None:
        real_delete(ids)
        raise BackendUnavailable("the Chroma store failed: Error in compaction")

    with running_app(service, tmp_path / "data") as client:
        monkeypatch.setattr(store, "upsert", upsert_then_fail)
        added = upload(client, "big.txt", long_article("market"))
        monkeypatch.setattr(store, "upsert", real_upsert)
        monkeypatch.setattr(store, "_delete_now", delete_then_fail)
        deleted = client.delete(f"/v1/documents/{doc_id_for('big.txt')}")
        listing = client.get("/v1/documents").json()

    assert added.status_code == 200, added.text
    assert added.json()[0]["complete"] is True
    assert deleted.status_code == 200, deleted.text
    assert "big.txt" not in {d["source"] for d in listing}


# --- an answer in flight when its source is deleted -----------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_answer_drops_a_source_deleted_while_the_model_writes(
    make_service: Callable[..., RagService], tmp_path: Path, stream: bool
) -> None:
    generating, deleted = threading.Event(), threading.Event()

    def reply(messages: Sequence[Message]) -> str:
        if "$100 billion" not in messages[-1].content:
            return "NOT IN ARTICLES"
        generating.set()
        assert deleted.wait(60), "the test never deleted the article"
        return LENDING_ANSWER

    service = make_service(reply=reply)
    results: dict[str, Any] = {}
    with running_app(service, tmp_path / "data") as client:

        def ask() -> None:
            body = {"question": LENDING_QUESTION, "stream": stream}
            results["response"] = client.post("/v1/chat", json=body)

        asking = threading.Thread(target=ask)
        asking.start()
        try:
            assert generating.wait(60), "the model was never asked"
            gone = client.delete(f"/v1/documents/{doc_id_for(LENDING_SOURCE)}")
        finally:
            deleted.set()
            asking.join(120)

    assert gone.status_code == 200, gone.text
    response = results["response"]
    assert response.status_code == 200, response.text
    if stream:
        events = _sse(response.text)
        assert events[-1][0] == "final"
        body = events[-1][1]
    else:
        body = response.json()
    assert body["answered"] is False
    assert body["citations"] == []
    assert "do not contain" in body["answer"]
    assert LENDING_SOURCE not in {p["source"] for p in body["retrieved"]}


def _sse(text: str) -> list[tuple[str, Any]]:
    import json

    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events
