"""Ingest survives being killed and runs safely alongside queries."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import write_corpus
from rag.embeddings.base import Embedder
from rag.service import RagService
from rag.store.chroma import ChromaStore
from rag.types import Filters
from tests.hardening.conftest import clean_env, expected_chunk_ids, stored_rows


def test_sigkill_mid_ingest_then_rerun_leaves_no_duplicates_and_no_gaps(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "articles"
    write_corpus(folder, 200, seed=11, paragraphs=(1, 2))
    expected = expected_chunk_ids(folder)
    data_dir = tmp_path / "data"
    env = clean_env(RAG_DATA_DIR=str(data_dir))
    command = [sys.executable, "-m", "api.cli", "ingest", str(folder)]

    log = tmp_path / "first.log"
    with log.open("wb") as log_file:
        first = subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log_file
        )
    try:
        deadline = time.monotonic() + 120
        while stored_rows(data_dir / "chroma") == 0:
            assert first.poll() is None, f"ingest ended before it was killed: {log.read_text()}"
            assert time.monotonic() < deadline, "no chunk reached the store within 120 s"
            time.sleep(0.02)
        # SIGKILL, not SIGTERM: no handler, no cleanup, like a crash or the OOM killer.
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait(timeout=30)
    # Killed while still running, not after it had finished.
    assert first.returncode == -signal.SIGKILL
    assert 0 < stored_rows(data_dir / "chroma") < len(expected)

    second = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 failed" in second.stdout

    store = ChromaStore("articles", embedder.name, path=data_dir / "chroma")
    ids = [c.chunk_id for c in store.chunks()]
    assert len(ids) == len(set(ids)), "duplicate chunks after the re-run"
    assert set(ids) == expected
    assert store.count() == len(expected)
    docs = store.documents()
    assert len(docs) == 200 and all(d.complete for d in docs)
    # The vector index holds every chunk too, not only Chroma's tables: a search for all of
    # them returns all of them.
    vector = embedder.embed(["a statement about the project"])[0]
    found = {c.chunk_id for c, _ in store.query(vector, len(expected), Filters())}
    assert found == expected


def test_concurrent_ingest_and_queries_do_not_crash_and_end_consistent(
    make_service: Callable[..., RagService], tmp_path: Path
) -> None:
    service = make_service(reply="NOT IN ARTICLES")
    before = service.store.count()
    folder = tmp_path / "incoming"
    articles = write_corpus(folder, 30, seed=23, paragraphs=(1, 2))
    errors: list[BaseException] = []
    stop = threading.Event()

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # every failure must reach the assertion below
                errors.append(exc)
                stop.set()

        return run

    def ingest() -> None:
        try:
            assert service.ingest([folder]).ok
        finally:
            stop.set()

    def ask() -> None:
        while not stop.is_set():
            service.ask("How much did the Meridian Development Bank commit to the rail link?")
            service.retrieve("Who criticised the solar farm plan in Lisbon?")
            service.documents()

    threads = [threading.Thread(target=guarded(ingest))]
    threads += [threading.Thread(target=guarded(ask)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors

    ids = [c.chunk_id for c in service.store.chunks()]
    assert len(ids) == len(set(ids))
    assert service.store.count() == before + len(expected_chunk_ids(folder))
    # The keyword index took every write: the last new article is findable by the one name
    # only it contains.
    last = articles[-1]
    sources = [p.chunk.source for p in service.retrieve(f"What was said about {last.marker}?")]
    assert last.source in sources


def test_concurrent_uploads_of_one_name_leave_one_version(
    make_service: Callable[..., RagService],
) -> None:
    # Several clients replacing the same file at once: whichever wins, the store ends with
    # exactly one complete version of it, never a mix of two.
    service = make_service(ingest=False)
    versions = [
        f"Harbour report {n}\n\nThe harbour wall in Bergen will rise by {n + 2} metres."
        " Officials said the work would take several months to finish."
        for n in range(4)
    ]
    errors: list[BaseException] = []

    def upload(text: str) -> None:
        try:
            service.add_document(text.encode(), "harbour.txt")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    # A crash between write and delete may leave two versions (the next ingest cleans up),
    # but racing writers must not: each one deletes what is not its own version.
    [doc] = service.documents()
    chunks = service.store.chunks(doc.doc_id)
    assert doc.complete
    assert len({c.content_hash for c in chunks}) == 1
