"""Put articles into the store so that re-runs are no-ops and changes replace, never duplicate.

New chunk ids carry the content hash, so a changed file's new chunks are written before its
old ones are deleted: a crash in between leaves both versions (cleaned up by the next run)
rather than neither.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.documents.chunker import chunk_document
from rag.documents.loader import iter_article_paths, load_document, parse_document
from rag.embeddings.base import Embedder
from rag.errors import DocumentError
from rag.store.base import VectorStore
from rag.types import Chunk, Document

log = logging.getLogger("newsrag")


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks_written: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.replaced)} replaced, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed "
            f"({self.chunks_written} chunks written)"
        )


class Ingestor:
    def __init__(
        self, store: VectorStore, embedder: Embedder, max_chars: int = 800, overlap_chars: int = 200
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._max_chars = max_chars
        self._overlap_chars = overlap_chars
        self._lock = threading.Lock()

    def ingest_paths(
        self,
        paths: Iterable[Path],
        progress: Callable[[str], None] | None = None,
        batch_docs: int = 64,
    ) -> IngestReport:
        """Ingest files and folders; a bad file is reported and skipped, the rest go in.

        Documents are written in batches: one "what is stored?" query per 64 documents and one
        embedding call and store write per 64 chunks, instead of a small query and write per
        document (5-7x faster).
        """
        report = IngestReport()
        batch: list[Document] = []
        with self._lock:
            for file, source in list(iter_article_paths(list(paths))):
                try:
                    doc = load_document(file, source)
                except DocumentError as exc:
                    report.failed.append((source, str(exc)))
                else:
                    if any(d.doc_id == doc.doc_id for d in batch):
                        self._write(batch, report)  # the same article twice: in order
                        batch = []
                    batch.append(doc)
                    if len(batch) >= batch_docs:
                        self._write(batch, report)
                        batch = []
                if progress:
                    progress(source)
            self._write(batch, report)
        return report

    def ingest_bytes(self, data: bytes, source: str) -> tuple[Document, IngestReport]:
        report = IngestReport()
        doc = parse_document(data, source)
        self.ingest_document(doc, report)
        return doc, report

    def ingest_document(self, doc: Document, report: IngestReport) -> None:
        # Read-compare-write-delete: two threads replacing the same file at once (two uploads
        # of one name) would each keep their own version, so writes take turns.
        with self._lock:
            self._write([doc], report)

    def _write(self, docs: list[Document], report: IngestReport) -> None:
        """One look-up of what is stored for all of `docs`, then their writes."""
        if not docs:
            return
        stored = self._store.chunk_hashes([d.doc_id for d in docs])
        plans = [self._plan(d, stored.get(d.doc_id, {}), report) for d in docs]
        self._apply([p for p in plans if p is not None], report)

    def _plan(self, doc: Document, stored: dict[str, str], report: IngestReport) -> _Plan | None:
        """What to write and delete for one document; None when it is already stored."""
        chunks = chunk_document(doc, self._max_chars, self._overlap_chars)
        new_ids = {c.chunk_id for c in chunks}
        if set(stored) == new_ids:
            report.unchanged.append(doc.source)
            return None
        return _Plan(
            doc=doc,
            missing=[c for c in chunks if c.chunk_id not in stored],
            stale=[cid for cid in stored if cid not in new_ids],
            replaces=any(h != doc.content_hash for h in stored.values()),
        )

    def _apply(self, plans: list[_Plan], report: IngestReport, batch: int = 64) -> None:
        """Every new chunk first, then the stale ones: a crash in between leaves both versions
        (the next run removes the old) and never neither.

        A write that fails is all or nothing as the caller sees it: if every new chunk is in
        fact stored (Chroma can fail after its log write) it counts as done, else the chunks
        it did write are rolled back and the error is raised, the old version untouched.
        """
        missing = [c for p in plans for c in p.missing]
        try:
            for i in range(0, len(missing), batch):
                self._write_part(missing[i : i + batch])
        except Exception:
            self._store.forget([c.chunk_id for c in missing])
            raise
        # The new version is complete: from here on the write stands, whatever the old
        # chunks' deletion meets (they are hidden until the store can delete them).
        self._store.forget([cid for p in plans for cid in p.stale])
        report.chunks_written += len(missing)
        for p in plans:
            (report.replaced if p.replaces else report.added).append(p.doc.source)

    def _write_part(self, part: list[Chunk]) -> None:
        vectors = self._embedder.embed([embedding_text(c) for c in part])
        try:
            self._store.upsert(part, vectors)
        except Exception as exc:
            if not self._all_stored([c.chunk_id for c in part]):
                raise
            log.warning("a store write failed but every chunk is stored, so it stands: %s", exc)

    def _all_stored(self, chunk_ids: list[str]) -> bool:
        try:
            return self._store.existing(chunk_ids) == set(chunk_ids)
        except Exception:  # the store cannot even be read: nothing proves the write stands
            return False


@dataclass(frozen=True)
class _Plan:
    doc: Document
    missing: list[Chunk]
    stale: list[str]
    replaces: bool


def embedding_text(chunk: Chunk) -> str:
    # The headline gives short chunks their topic; resolved dates make "July 2024" findable.
    return f"{chunk.title}\n{chunk.annotated}"
