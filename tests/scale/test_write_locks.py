"""The upload/delete lock: one writer at a time across threads, processes and hosts.

The shipped `WriteLockContract` runs against the file lock (one host) and the Postgres advisory
lock (several hosts); the last tests check the lock on the real HTTP path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from rag.factory import build_service, build_write_lock
from rag.llm.fake import FakeChatModel
from rag.settings import ApiSettings, ConversationSettings, Settings
from rag.state.write_lock.base import WriteLock
from rag.state.write_lock.file import FileWriteLock
from rag.testing.write_lock import WriteLockContract
from tests.conftest import MemoEmbedder
from tests.scale.lock_holder import open_postgres_lock
from tests.servers import serve_app


class TestFileWriteLock(WriteLockContract):
    @pytest.fixture
    def open_lock(self, tmp_path: Path) -> Callable[[float], WriteLock]:
        return functools.partial(FileWriteLock, tmp_path / "data" / "writes.lock")


class TestPostgresWriteLock(WriteLockContract):
    @pytest.fixture
    def open_lock(self, postgres_url: str) -> Callable[[float], WriteLock]:
        return functools.partial(open_postgres_lock, postgres_url)


# --- on the HTTP path ------------------------------------------------------------------------

ARTICLE = b"Lock test article\n\nPublished 3 July 2024. Xi and Putin met in Astana.\n"


@pytest.fixture(params=["file", "postgres"])
def locked_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings whose uploads wait 0.3 s for the lock: file lock, or Postgres advisory lock."""
    conversations = ConversationSettings()
    if request.param == "postgres":
        conversations = ConversationSettings(url=request.getfixturevalue("postgres_url"))
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        api=ApiSettings(write_lock_timeout_s=0.3),
        conversations=conversations,
    )


def test_uploads_and_deletes_answer_503_while_another_host_writes(
    locked_settings: Settings, embedder: MemoEmbedder
) -> None:
    service = build_service(locked_settings, llm=FakeChatModel(), embedder=embedder)
    other_host = build_write_lock(locked_settings)  # its own file handle or connection
    files: Any = {"files": ("lock.txt", ARTICLE, "text/plain")}
    with serve_app(create_app(locked_settings, service)) as url:
        uploaded = httpx.post(f"{url}/v1/documents", files=files, timeout=30)
        assert uploaded.status_code == 200, uploaded.text
        doc_id = uploaded.json()[0]["doc_id"]
        with other_host.hold():
            busy = httpx.post(f"{url}/v1/documents", files=files, timeout=30)
            deleting = httpx.delete(f"{url}/v1/documents/{doc_id}", timeout=30)
        for response in (busy, deleting):
            assert response.status_code == 503, response.text
            assert "try again" in response.json()["detail"]
        # Nothing changed while it was refused, and the lock is free again afterwards.
        listed = httpx.get(f"{url}/v1/documents", timeout=30).json()
        assert [d["doc_id"] for d in listed] == [doc_id]
        assert httpx.delete(f"{url}/v1/documents/{doc_id}", timeout=30).status_code == 200
