"""Chroma as the vector store: on disk (PersistentClient) or a Chroma server (HttpClient).

We always pass our own vectors; Chroma's default embedder downloads a model and fails offline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from rag.disk import is_disk_full
from rag.errors import BackendUnavailable, DiskFull, InvalidInput
from rag.store.base import StoredDocument, stored_documents
from rag.types import Chunk, Filters

log = logging.getLogger("newsrag")

SQLITE_FILE = "chroma.sqlite3"
_PAGE = 2000  # rows per get() call; keeps memory flat on large collections
# How many unfiltered neighbours to fetch per wanted result before falling back to Chroma's
# (slow) filtered search.
OVERFETCH = 10


class ChromaStore:
    """Chroma behind the `VectorStore` seam, with recovery from store faults.

    After a Chroma failure (a read-only or replaced folder, a dead server) the client is
    dropped and rebuilt on the next call, so a folder that is writable again, or restored
    from a backup, is used without a restart. Chunks that must go but could not be deleted
    (rolling back a failed write while the folder was read-only) are hidden from every read
    and deleted before the next write that succeeds.
    """

    def __init__(
        self,
        collection: str,
        embedder_name: str,
        path: Path | None = None,
        host: str | None = None,
        port: int = 8000,
        data_dir: Path | None = None,
    ) -> None:
        """`data_dir`: the folder a full disk is reported in (RAG_DATA_DIR, which holds
        `path`); `path`'s parent when not given."""
        self._name = collection
        self._embedder_name = embedder_name
        self._path = None if host else path
        self._data_dir = data_dir or (self._path.parent if self._path else None)
        self._host = host
        self._port = port
        self._server = f"{host}:{port}" if host else None
        self._lock = threading.RLock()
        self._broken = False
        # Chunk ids that must go: left out of every read, deleted before the next write.
        self._tombstones: set[str] = set()
        self._client, self._collection, self._identity = self._open()

    # --- the client ---------------------------------------------------------------------

    def _open(self) -> tuple[Any, Any, tuple[int, int] | None]:
        """A client and the collection; the identity of the SQLite file it opened."""
        import chromadb

        settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        try:
            if self._host:
                client: Any = chromadb.HttpClient(
                    host=self._host, port=self._port, settings=settings
                )
            else:
                assert self._path is not None, "either a path or a host is needed"
                self._path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(self._path), settings=settings)
            collection = client.get_or_create_collection(
                self._name,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedder": self._embedder_name},
            )
        except Exception as exc:
            # ChromaError: e.g. a read-only folder ("attempt to write a readonly database");
            # when its start fails, Chroma's own clean-up can raise AttributeError instead.
            if self._host:
                hint = "start it (`chroma run`) or fix RAG_STORE__HOST/RAG_STORE__PORT"
                raise BackendUnavailable(
                    f"cannot reach the Chroma server at {self._server}: {exc}; {hint}"
                ) from None
            self._raise_if_disk_full(exc, writing=True)  # opening migrates and writes
            raise BackendUnavailable(
                f"cannot open the Chroma store at {self._path}: {exc}; check that it exists "
                "and is writable"
            ) from None
        stored = (collection.metadata or {}).get("embedder")
        if stored and stored != self._embedder_name:
            raise InvalidInput(
                f"the store was built with embedder {stored!r} but {self._embedder_name!r} is "
                "configured; use another collection or data dir, or re-ingest into an empty one"
            )
        return client, collection, self._sqlite_identity()

    def _sqlite_identity(self) -> tuple[int, int] | None:
        """(device, inode) of the store's SQLite file; None when it is missing or remote."""
        if self._path is None:
            return None
        try:
            st = (self._path / SQLITE_FILE).stat()
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _live(self) -> Any:
        """The collection to use now: a broken client is rebuilt, a missing folder is a 503.

        A deleted folder is not silently recreated empty: the open handles would keep serving
        the old data, and a new client would serve none; the operator restores or restarts.
        """
        with self._lock:
            if self._path is not None:
                identity = self._sqlite_identity()
                if identity is None:
                    raise BackendUnavailable(self._failure(FileNotFoundError(self._path)))
                if identity != self._identity:
                    self._broken = True  # the folder was replaced (restored from a backup)
            if self._broken:
                try:
                    self._reopen()
                except BackendUnavailable as exc:
                    # Still failing (a read-only folder cannot even be opened): the old client
                    # keeps serving reads meanwhile, and writes fail as they would anyway.
                    log.debug("the Chroma store cannot be reopened yet: %s", exc)
            return self._collection

    def _reopen(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        if self._path is not None:
            # Chroma keeps one System per path in a process-wide registry; a new client on
            # the same path would get the broken one back. The old client is dropped, not
            # closed: close() would stop the System that replaces it, and calls still running
            # on the old collection finish on the old one.
            key = str(self._path)
            with SharedSystemClient._refcount_lock:
                SharedSystemClient._identifier_to_system.pop(key, None)
                SharedSystemClient._identifier_to_refcount.pop(key, None)
        self._client, self._collection, self._identity = self._open()
        self._broken = False
        log.info("reopened the Chroma store at %s", self._path or self._server)

    @contextmanager
    def _guard(self, writing: bool = False) -> Iterator[Any]:
        """The live collection; Chroma's own errors (a deleted or read-only folder, a dead
        server) as a 503, a full disk as DiskFull, and the client rebuilt on the next call."""
        import httpx
        from chromadb.errors import ChromaError

        collection = self._live()
        try:
            yield collection
        except (ChromaError, httpx.TransportError, OSError) as exc:
            # HttpClient lets httpx's connection errors through as they are (server down),
            # and the on-disk client its file errors (a full disk while saving the index).
            if isinstance(exc, OSError) and not self._raises_disk_full(exc, writing):
                raise
            with self._lock:
                self._broken = True
            self._raise_if_disk_full(exc, writing)
            raise BackendUnavailable(self._failure(exc)) from None

    def _raises_disk_full(self, exc: BaseException, writing: bool) -> bool:
        return self._path is not None and is_disk_full(exc, self._path, writing=writing)

    def _raise_if_disk_full(self, exc: BaseException, writing: bool) -> None:
        """DiskFull when `exc` comes of a full disk under the on-disk store (a Chroma server's
        disk is its own: its errors say so in their message)."""
        if self._raises_disk_full(exc, writing):
            assert self._data_dir is not None
            raise DiskFull(self._data_dir) from None

    def _failure(self, exc: Exception) -> str:
        if self._path is not None and not (self._path / SQLITE_FILE).exists():
            # The open handles keep reads working, but writes fail and a restart finds nothing.
            return (
                f"the Chroma store folder {self._path} is gone (deleted while the service was "
                "running?); restore it, or restart the service and re-ingest"
            )
        if self._server is not None:
            return f"the Chroma server at {self._server} failed: {exc}; is `chroma run` up?"
        return f"the Chroma store failed: {exc}"

    # --- writes -------------------------------------------------------------------------

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        if not chunks:
            return
        ids = [c.chunk_id for c in chunks]
        self._flush_tombstones()
        with self._guard(writing=True) as collection:
            collection.upsert(
                ids=ids,
                embeddings=[list(v) for v in vectors],
                documents=[c.text for c in chunks],
                metadatas=[_metadata(c) for c in chunks],
            )
        with self._lock:
            self._tombstones.difference_update(ids)

    def delete(self, chunk_ids: Sequence[str]) -> None:
        """Delete all of `chunk_ids`, or raise having deleted none of them (as far as any
        reader can tell): after a failure the ids are read back, and a delete that went
        through in part is finished by hiding the rest until the store takes writes again."""
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return
        try:
            self._flush_tombstones()
            self._delete_now(ids)
        except BackendUnavailable:
            left = self.existing(ids)  # may raise too: then nobody can say what happened
            if len(left) == len(ids):
                raise
            if left:
                log.warning(
                    "delete went through in part; %d chunks hidden until the store "
                    "takes writes again",
                    len(left),
                )
                with self._lock:
                    self._tombstones.update(left)

    def forget(self, chunk_ids: Sequence[str]) -> None:
        """Make `chunk_ids` gone for every reader now: deleted if the store takes writes,
        else hidden and deleted before the next write that succeeds. For rolling back a
        write that failed part-way, when the store is likely failing too."""
        with self._lock:
            self._tombstones.update(chunk_ids)
        try:
            self._flush_tombstones()
        except DiskFull as exc:
            # The write being rolled back failed for the same reason and reports it; a second
            # message about the same full disk would only bury that one.
            log.info("%d chunks hidden until the disk has room: %s", len(self._tombstones), exc)
        except BackendUnavailable as exc:
            log.warning(
                "%d chunks hidden until the store takes writes again: %s",
                len(self._tombstones),
                exc,
            )

    def _flush_tombstones(self) -> None:
        with self._lock:
            pending = sorted(self._tombstones)
            if pending:
                self._delete_now(pending)
                self._tombstones.difference_update(pending)

    def _delete_now(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), _PAGE):
            with self._guard(writing=True) as collection:
                collection.delete(ids=list(ids[i : i + _PAGE]))

    # --- reads --------------------------------------------------------------------------

    def _hidden(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._tombstones)

    def existing(self, chunk_ids: Sequence[str]) -> set[str]:
        """Which of `chunk_ids` are stored: one look-up, however many ids."""
        ids = list(dict.fromkeys(chunk_ids))
        found: set[str] = set()
        for i in range(0, len(ids), _PAGE):
            with self._guard() as collection:
                page = collection.get(ids=ids[i : i + _PAGE], include=[])
            found.update(page["ids"])
        return found - self._hidden()

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
        hidden = self._hidden()
        with self._guard() as collection:
            result = collection.query(
                query_embeddings=[list(vector)],
                n_results=k + len(hidden),
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
        found = [
            (_chunk(cid, doc, meta), 1.0 - dist)
            for cid, doc, meta, dist in rows
            if cid not in hidden
        ]
        return found[:k]

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
        # Chroma refuses a repeated id in one get() (and a refusal would mark the client
        # broken), so each id is asked once; hidden chunks are gone for readers, as in `chunks`.
        ids = list(dict.fromkeys(chunk_ids))
        hidden = self._hidden()
        out: list[Chunk] = []
        for i in range(0, len(ids), _PAGE):
            with self._guard() as collection:
                page = collection.get(ids=ids[i : i + _PAGE], include=["documents", "metadatas"])
            out += [
                _chunk(cid, doc, meta)
                for cid, doc, meta in zip(
                    page["ids"], page["documents"], page["metadatas"], strict=True
                )
                if cid not in hidden
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
        """Every matching row, a page at a time, without the hidden ones."""
        hidden = self._hidden()
        offset = 0
        while True:
            with self._guard() as collection:
                page = collection.get(
                    where=where,
                    limit=_PAGE,
                    offset=offset,
                    include=include,  # type: ignore[arg-type]
                )
            size = len(page["ids"])
            if hidden:
                keep = [i for i, cid in enumerate(page["ids"]) if cid not in hidden]
                page = {key: [page[key][i] for i in keep] for key in ("ids", *include)}
            yield page
            if size < _PAGE:
                return
            offset += _PAGE

    def documents(self, doc_id: str | None = None) -> list[StoredDocument]:
        return stored_documents(self.chunks(doc_id))

    def count(self) -> int:
        # Hidden chunks still count until they are deleted: counting them out would take a
        # look-up per call, and only "is the store empty?" hangs on this number.
        with self._guard() as collection:
            return int(collection.count())

    def ping(self) -> None:
        try:
            collection = self._live()
            collection.count()
        except BackendUnavailable:
            raise
        except Exception as exc:  # any client failure means "not ready"
            with self._lock:
                self._broken = True
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
        "outlet": chunk.outlet,
        "url": chunk.url,
        # The article's text outside every chunk (its date header, the spaces between
        # sentences), so that its text can be rebuilt as ingested (rag.documents.stored).
        "lead": chunk.lead,
        "tail": chunk.tail,
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
        outlet=str(meta.get("outlet", "")),
        url=str(meta.get("url", "")),
        lead=str(meta.get("lead", "")),
        tail=str(meta.get("tail", "")),
    )
