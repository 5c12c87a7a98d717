"""Telling a full disk from the other ways a write into the data folder fails.

A full disk rarely says so plainly: SQLite reports "database or disk is full", Python an
OSError with ENOSPC, but Chroma's compaction says only "Failed to apply logs to the metadata
segment", with some space still free (less than it needs for its next segment). So the
exception chain is searched for the plain signs, and a write that failed for any other reason
counts as a full disk when the folder's file system has almost no room left, unless it names
another cause (a read-only folder).
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

# Below this much free space a failed store write is put down to the disk. Chroma's segment
# writes and SQLite's journal need room in proportion to the write (a batch of chunks, a
# resized vector index), so a disk this close to full cannot be relied on to take the next.
MIN_FREE_BYTES = 64 * 1024 * 1024

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_FULL_MESSAGES = ("database or disk is full", "no space left on device", "disk quota exceeded")
# Failures that name another cause: never put down to the disk, however little room is left.
_OTHER_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT}
_OTHER_MESSAGES = ("readonly database", "read-only file system", "permission denied")


def is_disk_full(exc: BaseException, folder: Path | None, *, writing: bool = True) -> bool:
    """Whether `exc` (or an exception it was raised from or during) comes of a full disk.

    `folder` is where the failed write went; when `writing`, its free space is checked too,
    for the failures that name no cause.
    """
    chain = list(_chain(exc))
    if any(_says_full(e) for e in chain):
        return True
    if any(_names_another_cause(e) for e in chain):
        return False
    return writing and folder is not None and free_bytes(folder) < MIN_FREE_BYTES


def free_bytes(folder: Path) -> int:
    """Free bytes on `folder`'s file system (its nearest existing parent's, if it is gone);
    a very large number when that cannot be told, so that nothing is blamed on the disk."""
    for path in (folder, *folder.parents):
        try:
            return shutil.disk_usage(path).free
        except OSError:
            continue
    return 1 << 62


def _says_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    if (
        isinstance(exc, sqlite3.Error)
        and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    ):
        return True
    text = str(exc).lower()
    return any(message in text for message in _FULL_MESSAGES)


def _names_another_cause(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _OTHER_ERRNOS:
        return True
    text = str(exc).lower()
    return any(message in text for message in _OTHER_MESSAGES)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it was raised from or while handling, however it was raised (`from
    None` hides the context from tracebacks but keeps it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
