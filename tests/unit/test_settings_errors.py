"""A bad setting is named in one line by the real `rag` command; an empty one is the default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_a_bad_setting_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path), "RAG_EMBEDDING__BATCH_SIZE": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "documents"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: setting RAG_EMBEDDING__BATCH_SIZE: Input should be greater than or equal to 1"
    ]
    assert not any(tmp_path.iterdir())  # nothing was opened, let alone stored


def test_an_empty_setting_means_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBEDDING__BATCH_SIZE", "")
    monkeypatch.setenv("RAG_EMBEDDING__THREADS", "")
    settings = Settings(_env_file=None)
    assert (settings.embedding.batch_size, settings.embedding.threads) == (None, None)
