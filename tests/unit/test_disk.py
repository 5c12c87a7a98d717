"""A full disk told from other write failures: by errno, SQLite's code and message, or free
space when the error names no cause (Chroma's compaction error)."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from rag import disk
from rag.disk import is_disk_full
from rag.errors import BackendUnavailable, DiskFull

COMPACTION = "Error in compaction: Failed to apply logs to the metadata segment"


def raised(outer: Exception, inner: BaseException, *, hide: bool) -> Exception:
    """`outer`, raised while handling `inner` (`from None` when `hide`)."""
    try:
        try:
            raise inner
        except BaseException:
            if hide:
                raise outer from None
            raise outer  # noqa: B904 - the implicit context is what is tested
    except Exception as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.fixture
def roomy(tmp_path: Path) -> Path:
    assert disk.free_bytes(tmp_path) >= disk.MIN_FREE_BYTES, "this test needs a roomy /tmp"
    return tmp_path


@pytest.mark.parametrize("hide", [False, True])
def test_enospc_anywhere_in_the_chain_is_a_full_disk(roomy: Path, hide: bool) -> None:
    inner = OSError(errno.ENOSPC, "No space left on device")
    assert is_disk_full(raised(BackendUnavailable("write failed"), inner, hide=hide), roomy)


def test_sqlite_full_by_code_or_message_is_a_full_disk(roomy: Path) -> None:
    # A real SQLITE_FULL: the database may grow no further than its page limit.
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as full:
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (zeroblob(100000))")
    db.close()
    assert full.value.sqlite_errorcode == sqlite3.SQLITE_FULL
    assert is_disk_full(raised(BackendUnavailable("index"), full.value, hide=True), roomy)
    # Chroma passes SQLite's words on inside its own error.
    assert is_disk_full(RuntimeError("(code: 13) database or disk is full"), roomy)


def test_other_failures_on_a_roomy_disk_are_not(roomy: Path) -> None:
    assert not is_disk_full(RuntimeError(COMPACTION), roomy)
    assert not is_disk_full(sqlite3.OperationalError("attempt to write a readonly database"), roomy)
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"), roomy)


def test_a_failed_write_on_a_nearly_full_disk_is_a_full_disk(
    roomy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shutil.disk_usage

    def nearly_full(path: Any) -> Any:
        found = real(path)
        return type(found)(found.total, found.total - 4096, 4096)

    monkeypatch.setattr(disk.shutil, "disk_usage", nearly_full)

    assert is_disk_full(RuntimeError(COMPACTION), roomy)
    # A read that fails says nothing about the room a write needs, and a failure that names
    # its cause is that cause, however full the disk.
    assert not is_disk_full(RuntimeError(COMPACTION), roomy, writing=False)
    readonly = sqlite3.OperationalError("attempt to write a readonly database")
    assert not is_disk_full(readonly, roomy)
    assert not is_disk_full(OSError(errno.EROFS, "Read-only file system"), roomy)


def test_a_folder_that_is_gone_is_measured_by_its_nearest_parent(roomy: Path) -> None:
    assert disk.free_bytes(roomy / "no" / "such" / "folder") == shutil.disk_usage(roomy).free


def test_the_message_says_where_and_what_to_do() -> None:
    error = DiskFull(Path("/srv/rag"))
    assert isinstance(error, BackendUnavailable)
    assert str(error) == (
        "no space left in RAG_DATA_DIR (/srv/rag): free space and re-run; nothing stored was lost"
    )
