"""A Chroma folder that disappears or cannot be written gives a clear error, never a trace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bench.corpus import write_corpus
from rag.service import RagService
from rag.settings import Settings
from tests.hardening.conftest import clean_env

QUESTION = "How many times have Xi and Putin met in the past ten years?"


def test_chroma_folder_deleted_under_a_running_service(
    make_service: Callable[..., RagService], tmp_path: Path
) -> None:
    service = make_service(reply="NOT IN ARTICLES")
    data_dir = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    with TestClient(create_app(settings, service), raise_server_exceptions=False) as client:
        assert client.post("/v1/chat", json={"question": QUESTION}).status_code == 200

        shutil.rmtree(data_dir / "chroma")

        ready = client.get("/readyz")
        upload = client.post(
            "/v1/documents", files=[("files", ("late.txt", b"A late article about tea prices."))]
        )
        # Open file handles keep reads going until a restart; either answer is fine, a 500 is
        # not.
        chat = client.post("/v1/chat", json={"question": QUESTION})
        listing = client.get("/v1/documents")

    assert ready.status_code == 503
    assert upload.status_code == 503
    for response in (ready, upload):
        assert "is gone" in response.json()["detail"] and "restart" in response.json()["detail"]
    for response in (chat, listing):
        assert response.status_code in (200, 503), response.text
    for response in (ready, upload, chat, listing):
        assert response.headers["content-type"].startswith("application/json")
        assert "Traceback" not in response.text


def test_restart_after_the_folder_was_deleted_says_to_ingest(tmp_path: Path) -> None:
    # A new process finds an empty store: the message must say what to do, not crash.
    folder = tmp_path / "articles"
    write_corpus(folder, 2, seed=3, paragraphs=(1, 1))
    env = clean_env(RAG_DATA_DIR=str(tmp_path / "data"))
    rag = [sys.executable, "-m", "rag.cli"]
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
    rag = [sys.executable, "-m", "rag.cli"]
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
