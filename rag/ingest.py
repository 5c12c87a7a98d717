"""Put articles into the store so that re-runs are no-ops and changes replace, never duplicate.

New chunk ids carry the content hash, so a changed file's new chunks are written before its
old ones are deleted: a crash in between leaves both versions (cleaned up by the next run)
rather than neither.
"""

from __future__ import annotations

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
        # Read-compare-write-delete per document: two threads replacing the same file at once
        # (two uploads of one name) would each keep their own version, so writes take turns.
        self._lock = threading.Lock()

    def ingest_paths(
        self, paths: Iterable[Path], progress: Callable[[str], None] | None = None
    ) -> IngestReport:
        """Ingest files and folders; a bad file is reported and skipped, the rest go in."""
        report = IngestReport()
        for file, source in list(iter_article_paths(list(paths))):
            try:
                self.ingest_document(load_document(file, source), report)
            except DocumentError as exc:
                report.failed.append((source, str(exc)))
            if progress:
                progress(source)
        return report

    def ingest_bytes(self, data: bytes, source: str) -> tuple[Document, IngestReport]:
        report = IngestReport()
        doc = parse_document(data, source)
        self.ingest_document(doc, report)
        return doc, report

    def ingest_document(self, doc: Document, report: IngestReport) -> None:
        chunks = chunk_document(doc, self._max_chars, self._overlap_chars)
        with self._lock:
            self._replace(doc, chunks, report)

    def _replace(self, doc: Document, chunks: list[Chunk], report: IngestReport) -> None:
        existing = self._store.chunks(doc.doc_id)
        new_ids = {c.chunk_id for c in chunks}
        present = {c.chunk_id for c in existing}
        if present == new_ids:
            report.unchanged.append(doc.source)
            return
        missing = [c for c in chunks if c.chunk_id not in present]
        self._write(missing)
        stale = [cid for cid in present if cid not in new_ids]
        self._store.delete(stale)
        report.chunks_written += len(missing)
        has_old_version = any(c.content_hash != doc.content_hash for c in existing)
        (report.replaced if has_old_version else report.added).append(doc.source)

    def _write(self, chunks: list[Chunk], batch: int = 64) -> None:
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            vectors = self._embedder.embed([embedding_text(c) for c in part])
            self._store.upsert(part, vectors)


def embedding_text(chunk: Chunk) -> str:
    # The headline gives short chunks their topic; resolved dates make "July 2024" findable.
    return f"{chunk.title}\n{chunk.annotated}"
