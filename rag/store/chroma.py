"""Chroma as the vector store: on disk (PersistentClient) or a Chroma server (HttpClient).

We always pass our own vectors; Chroma's default embedder downloads a model and fails offline.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from rag.errors import BackendUnavailable, InvalidInput
from rag.store.base import StoredDocument
from rag.types import Chunk, Filters

_PAGE = 2000  # rows per get() call; keeps memory flat on large collections
# How many unfiltered neighbours to fetch per wanted result before falling back to Chroma's
# (slow) filtered search.
OVERFETCH = 10


class ChromaStore:
    def __init__(
        self,
        collection: str,
        embedder_name: str,
        path: Path | None = None,
        host: str | None = None,
        port: int = 8000,
    ) -> None:
        import chromadb
        from chromadb.errors import ChromaError

        self._path = None if host else path
        self._server = f"{host}:{port}" if host else None
        settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        try:
            if host:
                self._client: Any = chromadb.HttpClient(host=host, port=port, settings=settings)
            else:
                assert path is not None, "either a path or a host is needed"
                path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(path), settings=settings)
            self._collection = self._client.get_or_create_collection(
                collection,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedder": embedder_name},
            )
        except (OSError, ValueError, ConnectionError, ChromaError) as exc:
            # ChromaError: e.g. a read-only folder ("attempt to write a readonly database").
            if host:
                hint = "start it (`chroma run`) or fix RAG_STORE__HOST/RAG_STORE__PORT"
                raise BackendUnavailable(
                    f"cannot reach the Chroma server at {host}:{port}: {exc}; {hint}"
                ) from None
            raise BackendUnavailable(
                f"cannot open the Chroma store at {path}: {exc}; check that it exists and is "
                "writable"
            ) from None
        stored = (self._collection.metadata or {}).get("embedder")
        if stored and stored != embedder_name:
            raise InvalidInput(
                f"the store was built with embedder {stored!r} but {embedder_name!r} is configured;"
                " use another collection or data dir, or re-ingest into an empty one"
            )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Chroma's own errors (a deleted or read-only folder, a dead server) as a 503."""
        import httpx
        from chromadb.errors import ChromaError

        try:
            yield
        except (ChromaError, httpx.TransportError) as exc:
            # HttpClient lets httpx's connection errors through as they are (server down).
            raise BackendUnavailable(self._failure(exc)) from None

    def _failure(self, exc: Exception) -> str:
        if self._path is not None and not (self._path / "chroma.sqlite3").exists():
            # The open handles keep reads working, but writes fail and a restart finds nothing.
            return (
                f"the Chroma store folder {self._path} is gone (deleted while the service was "
                "running?); restart the service and re-ingest"
            )
        if self._server is not None:
            return f"the Chroma server at {self._server} failed: {exc}; is `chroma run` up?"
        return f"the Chroma store failed: {exc}"

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        if not chunks:
            return
        with self._guard():
            self._collection.upsert(
                ids=[c.chunk_id for c in chunks],
                embeddings=[list(v) for v in vectors],
                documents=[c.text for c in chunks],
                metadatas=[_metadata(c) for c in chunks],
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        for i in range(0, len(chunk_ids), _PAGE):
            with self._guard():
                self._collection.delete(ids=list(chunk_ids[i : i + _PAGE]))

    def query(self, vector: Sequence[float], k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        if filters.empty:
            return self._query(vector, k, None)
        # Chroma's filtered search scans metadata (0.7 s at 100k chunks); most filters keep
        # plenty of the nearest neighbours, so fetch more unfiltered and filter here first.
        wide = self._query(vector, k * OVERFETCH, None)
        kept = [(c, score) for c, score in wide if _passes(c, filters)]
        if len(kept) >= k or len(wide) < k * OVERFETCH:
            return kept[:k]
        return self._query(vector, k, _where(filters))

    def _query(
        self, vector: Sequence[float], k: int, where: dict[str, Any] | None
    ) -> list[tuple[Chunk, float]]:
        with self._guard():
            result = self._collection.query(
                query_embeddings=[list(vector)],
                n_results=k,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        rows = zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        )
        return [(_chunk(cid, doc, meta), 1.0 - dist) for cid, doc, meta, dist in rows]

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        where = {"doc_id": doc_id} if doc_id else None
        return [
            _chunk(cid, doc, meta)
            for page in self._pages(where, ["documents", "metadatas"])
            for cid, doc, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            )
        ]

    def chunk_ids(self) -> set[str]:
        return {cid for page in self._pages(None, []) for cid in page["ids"]}

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        out: list[Chunk] = []
        for i in range(0, len(chunk_ids), _PAGE):
            with self._guard():
                page = self._collection.get(
                    ids=list(chunk_ids[i : i + _PAGE]), include=["documents", "metadatas"]
                )
            out += [
                _chunk(cid, doc, meta)
                for cid, doc, meta in zip(
                    page["ids"], page["documents"], page["metadatas"], strict=True
                )
            ]
        return out

    def chunk_hashes(self, doc_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        if not doc_ids:
            return out
        where = {"doc_id": {"$in": list(dict.fromkeys(doc_ids))}}
        for page in self._pages(where, ["metadatas"]):
            for cid, meta in zip(page["ids"], page["metadatas"], strict=True):
                out.setdefault(str(meta["doc_id"]), {})[cid] = str(meta.get("content_hash", ""))
        return out

    def _pages(self, where: dict[str, Any] | None, include: list[str]) -> Iterator[Any]:
        offset = 0
        while True:
            with self._guard():
                page = self._collection.get(
                    where=where,
                    limit=_PAGE,
                    offset=offset,
                    include=include,  # type: ignore[arg-type]
                )
            yield page
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def documents(self) -> list[StoredDocument]:
        by_doc: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in self.chunks():
            by_doc.setdefault((chunk.doc_id, chunk.content_hash), []).append(chunk)
        docs = []
        for (doc_id, content_hash), chunks in by_doc.items():
            first = chunks[0]
            docs.append(
                StoredDocument(
                    doc_id=doc_id,
                    source=first.source,
                    title=first.title,
                    date=first.date,
                    content_hash=content_hash,
                    chunks=len(chunks),
                    complete=len(chunks) == first.total,
                )
            )
        return sorted(docs, key=lambda d: d.source)

    def count(self) -> int:
        with self._guard():
            return int(self._collection.count())

    def ping(self) -> None:
        if self._path is not None and not (self._path / "chroma.sqlite3").exists():
            raise BackendUnavailable(self._failure(FileNotFoundError(self._path)))
        try:
            self._collection.count()
        except Exception as exc:  # any client failure means "not ready"
            raise BackendUnavailable(f"Chroma store not reachable: {exc}") from None


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    return {
        "doc_id": chunk.doc_id,
        "source": chunk.source,
        "title": chunk.title,
        "date": chunk.date.isoformat() if chunk.date else "",
        # Chroma filters compare numbers, so the date is also kept as YYYYMMDD (0 = undated).
        "date_int": _date_int(chunk.date) if chunk.date else 0,
        "start": chunk.start,
        "end": chunk.end,
        "annotated": chunk.annotated,
        "dates": ",".join(d.isoformat() for d in chunk.dates),
        "content_hash": chunk.content_hash,
        "index": chunk.index,
        "total": chunk.total,
    }


def _date_int(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _passes(chunk: Chunk, filters: Filters) -> bool:
    """The same test as `_where`, on a chunk already fetched."""
    if filters.sources and chunk.source not in filters.sources:
        return False
    if (filters.date_from or filters.date_to) and chunk.date is None:
        return False
    if filters.date_from and chunk.date and chunk.date < filters.date_from:
        return False
    return not (filters.date_to and chunk.date and chunk.date > filters.date_to)


def _where(filters: Filters) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.date_from:
        clauses.append({"date_int": {"$gte": _date_int(filters.date_from)}})
    if filters.date_to:
        clauses.append({"date_int": {"$lte": _date_int(filters.date_to)}})
    if filters.date_to and not filters.date_from:
        clauses.append({"date_int": {"$gt": 0}})  # undated articles match no date range
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _chunk(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    dates = tuple(date.fromisoformat(d) for d in str(meta.get("dates", "")).split(",") if d)
    return Chunk(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        source=str(meta["source"]),
        title=str(meta.get("title", "")),
        date=date.fromisoformat(str(meta["date"])) if meta.get("date") else None,
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=text,
        annotated=str(meta.get("annotated", text)),
        dates=dates,
        content_hash=str(meta.get("content_hash", "")),
        index=int(meta.get("index", 0)),
        total=int(meta.get("total", 0)),
    )
