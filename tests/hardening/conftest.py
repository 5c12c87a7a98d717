"""Helpers for the fault, bad-input and security tests: generated articles, clean environments."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from rag.documents.chunker import chunk_document
from rag.documents.loader import iter_article_paths, load_document
from rag.settings import ChunkingSettings

ISOLATED_PREFIXES = ("RAG_", "OPENAI_", "SLACK_", "CHROMA_")


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without the app's own settings or proxies, plus `overrides`.

    A developer's RAG_* variables would point a child `rag` process at their own store.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(ISOLATED_PREFIXES) and not k.lower().endswith("_proxy")
    }
    env.update(overrides)
    return env


def expected_chunk_ids(folder: Path) -> set[str]:
    """Every chunk id a complete ingest of `folder` must leave in the store, no more."""
    chunking = ChunkingSettings()
    return {
        c.chunk_id
        for file, source in iter_article_paths([folder])
        for c in chunk_document(
            load_document(file, source), chunking.max_chars, chunking.overlap_chars
        )
    }


def stored_rows(chroma_dir: Path) -> int:
    """Rows Chroma has durably written (its log plus its tables), read without taking part.

    Another process is writing, so the database may be locked for a moment: that reads as 0.
    """
    path = chroma_dir / "chroma.sqlite3"
    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)) as db:
            queued = db.execute("SELECT COUNT(*) FROM embeddings_queue").fetchone()[0]
            applied = db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    except sqlite3.Error:
        return 0
    return int(max(queued, applied))
