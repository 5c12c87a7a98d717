"""The `rag` command as a user runs it: real processes, real store on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT


def rag(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "RAG_DATA_DIR": str(data_dir), **env},
        timeout=300,
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli")
    result = rag("ingest", str(CORPUS), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "5 added" in result.stdout
    return data_dir


def _chunk_count(data_dir: Path) -> int:
    listing = rag("documents", data_dir=data_dir)
    assert listing.returncode == 0, listing.stderr
    return sum(int(line.split()[2]) for line in listing.stdout.splitlines())


def test_reingest_is_a_no_op(ingested: Path) -> None:
    before = _chunk_count(ingested)
    result = rag("ingest", str(CORPUS), data_dir=ingested)
    assert result.returncode == 0
    assert "0 added, 0 replaced, 5 unchanged" in result.stdout
    assert _chunk_count(ingested) == before


def test_documents_lists_dates_and_the_undated_article(ingested: Path) -> None:
    out = rag("documents", data_dir=ingested).stdout
    assert "2024-07-04" in out and "004_d9422b366859b37e.txt" in out
    assert "undated" in out and "001_0b3d8da0e1441ad0.txt" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", ""), "the question is empty"),
        (("ask", "   "), "the question is empty"),
        (("ask", "x" * 5000), "the limit is 2000"),
        (("ingest", "/no/such/folder"), "no such file or folder"),
        (("ask", "When?", "--from", "2024-07-04", "--to", "2024-07-01"), "is after --to"),
        (("documents", "--delete", "0123456789abcdef"), "not found"),
    ],
)
def test_bad_input_is_one_line_and_nonzero_and_keeps_the_store(
    ingested: Path, args: tuple[str, ...], message: str
) -> None:
    before = _chunk_count(ingested)
    result = rag(*args, data_dir=ingested)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert _chunk_count(ingested) == before


def test_binary_and_non_utf8_files_are_skipped_with_reasons(ingested: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02\x03")
    (folder / "latin.txt").write_bytes("Caf\xe9 news".encode("latin-1"))
    before = _chunk_count(ingested)
    result = rag("ingest", str(folder), data_dir=ingested)
    assert result.returncode == 1
    assert "binary" in result.stderr and "not UTF-8" in result.stderr
    assert "2 failed" in result.stdout
    assert _chunk_count(ingested) == before


def test_asking_an_empty_corpus_says_what_to_do(tmp_path: Path) -> None:
    result = rag("ask", "When did they meet?", data_dir=tmp_path)
    assert result.returncode == 2
    assert "no articles have been ingested yet; run `rag ingest" in result.stderr


def test_missing_model_file_is_a_clear_error(ingested: Path, tmp_path: Path) -> None:
    result = rag(
        "ask",
        "When did they meet?",
        data_dir=ingested,
        RAG_LLM__MODEL_PATH=str(tmp_path / "missing.gguf"),
    )
    assert result.returncode == 2
    assert "missing.gguf not found" in result.stderr


def test_unreachable_model_server_is_a_clear_error(ingested: Path) -> None:
    result = rag(
        "ask",
        "When did they meet?",
        "--json",
        data_dir=ingested,
        RAG_LLM__BACKEND="openai",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
    )
    assert result.returncode == 2
    assert "cannot reach the model server at http://127.0.0.1:9/v1" in result.stderr


def test_missing_model_package_names_the_fix(tmp_path: Path) -> None:
    from rag.errors import ModelNotInstalled
    from rag.llm.model_files import PartedModel, ensure_model_file

    ghost = PartedModel("ghost.gguf", "no_such_model_part", 2, "0" * 64)
    with pytest.raises(ModelNotInstalled, match="no-such-model-part1 is not installed"):
        ensure_model_file(tmp_path, ghost)
    assert not list(tmp_path.iterdir())  # nothing half-joined left behind


def test_json_output_shape_without_a_model_call(ingested: Path) -> None:
    # A retrieval-only view is enough to check the shape the CLI prints for filters.
    result = rag(
        "ask",
        "On what date did Xi and Putin meet in Astana?",
        "--json",
        "--source",
        "nope.txt",
        data_dir=ingested,
        RAG_LLM__BACKEND="openai",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
    )
    # No passage survives the filter, so the service declines without calling the model.
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["answered"] is False and body["citations"] == [] and body["retrieved"] == []
