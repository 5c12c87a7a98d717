"""Built eval stores kept between runs, keyed on everything that shapes what they hold.

Ingesting the whole archive takes many minutes on a small machine, so archive runs keep their
stores under `<data_dir>/eval-archive/store-<key>/`. The key covers the corpus contents, the
embedder, the chunking settings and the source of the code that writes stores (loader, chunker,
ingest, store, embedders, the baseline recipe): change any of them and the next run builds a
new store instead of scoring a stale one. One run at a time uses a store (a file lock).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.settings import PROJECT_ROOT, Settings

# The code whose changes alter what a built store contains (relative to the project root).
STORE_CODE = (
    "rag/ingest.py",
    "rag/archive.py",
    "rag/types.py",
    "rag/documents",
    # What chunking and annotation read: sentence bounds, resolved dates, repaired characters.
    "rag/text/sentences.py",
    "rag/text/dates.py",
    "rag/text/mojibake.py",
    "rag/store",
    "rag/embeddings",
    "eval/baseline.py",
)
# Written into the baseline's folder once it is completely built (the system's ingest is
# incremental and completes itself; the baseline's bulk build is all or nothing).
BUILT_MARKER = ".built"


def store_key(corpus_key: str, settings: Settings, embedder_name: str) -> str:
    parts = {
        "corpus": corpus_key,
        "embedder": embedder_name,
        "chunking": settings.chunking.model_dump(),
        "code": code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def code_fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for entry in STORE_CODE:
        path = root / entry
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(file.relative_to(root).as_posix().encode() + b"\0")
                digest.update(file.read_bytes())
    return digest.hexdigest()


def cached_store_dir(data_dir: Path, key: str) -> Path:
    return data_dir / "eval-archive" / f"store-{key[:16]}"


@contextmanager
def exclusive(store_dir: Path) -> Iterator[None]:
    """Hold the store for this run; a second run on the same store waits for the first."""
    store_dir.mkdir(parents=True, exist_ok=True)
    with open(store_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
