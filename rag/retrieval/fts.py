"""The keyword index in SQLite FTS5: incremental, on disk, shared by every worker on a host.

FTS5 never sees article text. It indexes our own tokens (`index_tokens`: folded, stemmed,
acronyms added) joined by spaces, so its tokenizer only splits on whitespace and the index
agrees with the citation check and sentence matching on what a word is. Ranking is FTS5's
`bm25()`. Each chunk's row in `chunks` carries the filter columns (source, published day,
both indexed) and the chunk itself as JSON, so a hit needs no round trip to the vector store.

Search is two passes, so its cost is bounded at any archive size: FTS5's `bm25()` costs ~3 µs
for every row a term matches (30 ms for a word in most of 12k chunks), so the first pass
matches only the question's rarer words (together in at most `candidate_budget` chunks) and
takes the best `pool` chunks by them; the second scores those with every word of the question
by Okapi BM25 (the in-memory index's formula, `BM25Index`), from their stored tokens.

The database is in WAL mode: any number of processes read while one writes, and a reader
sees a write as soon as its transaction commits.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from rag.disk import is_disk_full
from rag.errors import BackendUnavailable, DiskFull
from rag.text.words import index_tokens, lemma, sound_key, tokens, words
from rag.types import Chunk, Filters

# Bump when the tokens change (stemmer, acronyms): an index of other tokens is rebuilt.
TOKENS_VERSION = "snowball-1"
_PREFIX = 5  # letters that make a demonym count as its country in `mentions`
_BATCH = 500  # chunks per INSERT batch when rebuilding
K1, B = 1.4, 0.75  # Okapi BM25, as `BM25Index`
_REBUILD_WAIT_S = 1800.0  # another worker's full build: minutes at 100k chunks on 2 cores

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value NOT NULL);
-- Kept with every write: counting rows would read every chunk's page (50 ms at 12k).
INSERT OR IGNORE INTO meta (key, value) VALUES ('chunks', 0), ('tokens', 0);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    day INTEGER,  -- the article's date as an ordinal; NULL when undated
    length INTEGER NOT NULL  -- tokens, for BM25's length normalisation
);
-- Apart from `chunks`, whose rows stay small: a filter joins 1,000s of them per question.
CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, chunk TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_day ON chunks (day);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks (source);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5 (
    tokens, tokenize = "unicode61 remove_diacritics 0 tokenchars '.,'"
);
-- How many chunks have each token (BM25's document frequency, and the name gate's vocabulary):
-- FTS5's own fts5vocab table takes ~1 ms a look-up, this B-tree microseconds.
CREATE TABLE IF NOT EXISTS vocabulary (
    term TEXT PRIMARY KEY, docs INTEGER NOT NULL
) WITHOUT ROWID;
-- Sound keys of indexed words (`sound_key`) -> their stems, for transliterated names. Never
-- pruned: `mentions` checks that the stem is still in `vocabulary`.
CREATE TABLE IF NOT EXISTS sound_keys (
    key TEXT NOT NULL, term TEXT NOT NULL, PRIMARY KEY (key, term)
) WITHOUT ROWID;
"""


class SqliteKeywordIndex:
    """`KeywordIndex` in one SQLite file (`RAG_DATA_DIR/keyword.sqlite3`).

    >>> index = SqliteKeywordIndex(Path(".rag/keyword.sqlite3"))
    >>> index.add(chunks)
    >>> index.search("Putin Beijing forum", k=5, filters=Filters(date_from=date(2023, 1, 1)))
    """

    def __init__(
        self,
        path: Path,
        busy_timeout_s: float = 30.0,
        candidate_budget: int = 2000,
        pool: int = 200,
    ) -> None:
        self.path = path
        self._timeout = busy_timeout_s
        self._budget = candidate_budget
        self._pool = pool
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.rebuilt_for_tokens = False
            if self._tokens_version() != TOKENS_VERSION:
                # Only a new or outdated file is written at open: a worker that starts while
                # another writes must not wait for the write lock. One script, one transaction:
                # two workers starting at once create it once.
                self._connect().executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
                self.rebuilt_for_tokens = self._check_tokens_version()
        except sqlite3.Error as exc:
            if is_disk_full(exc, path.parent):
                raise DiskFull(path.parent) from None
            raise BackendUnavailable(
                f"cannot open the keyword index at {path}: {exc}; check that the folder is "
                "writable, or delete the file to rebuild it from the store"
            ) from None

    # --- writes ------------------------------------------------------------------------------

    def add(self, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        with self._write() as db:
            self._delete(db, [c.chunk_id for c in chunks])
            self._insert(db, chunks)

    def delete(self, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids:
            return
        with self._write() as db:
            self._delete(db, chunk_ids)

    def replace_all(self, chunks: Iterable[Chunk], expected: int | None = None) -> bool:
        """One transaction: readers see the old index until the new one is complete. Several
        workers starting on an empty index all try; each waits for the write lock as long as
        a rebuild takes, and one that then finds `expected` chunks there writes nothing."""
        with self._write(wait_s=_REBUILD_WAIT_S) as db:
            if expected is not None and _stats(db)[0] == expected:
                return False
            _empty(db)
            batch: list[Chunk] = []
            for chunk in chunks:
                batch.append(chunk)
                if len(batch) >= _BATCH:
                    self._insert(db, batch)
                    batch = []
            self._insert(db, batch)
        with self._write() as db:
            # Merge FTS5's segments now rather than on later small writes.
            db.execute("INSERT INTO terms (terms) VALUES ('optimize')")
        return True

    def _insert(self, db: sqlite3.Connection, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        # Ids assigned here, so each table takes one executemany: this runs inside the write
        # transaction, so no other writer can take the same ids.
        first = int(db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0]) + 1
        rows, bodies, terms = [], [], []
        keys: set[tuple[str, str]] = set()
        docs: Counter[str] = Counter()
        length = 0
        for rowid, chunk in enumerate(chunks, start=first):
            text = f"{chunk.title}\n{chunk.annotated}"
            tokens_ = index_tokens(text)
            rows.append((rowid, chunk.chunk_id, chunk.source, _day(chunk.date), len(tokens_)))
            bodies.append((rowid, _encode(chunk)))
            terms.append((rowid, " ".join(tokens_)))
            length += len(tokens_)
            docs.update(set(tokens_))
            for word in set(words(text)):
                key = sound_key(word)
                if key is not None:
                    keys.add((key, lemma(word)))
        db.executemany(
            "INSERT INTO chunks (id, chunk_id, source, day, length) VALUES (?, ?, ?, ?, ?)", rows
        )
        db.executemany("INSERT INTO bodies (id, chunk) VALUES (?, ?)", bodies)
        db.executemany("INSERT INTO terms (rowid, tokens) VALUES (?, ?)", terms)
        db.executemany("INSERT OR IGNORE INTO sound_keys (key, term) VALUES (?, ?)", keys)
        db.executemany(
            "INSERT INTO vocabulary (term, docs) VALUES (?, ?)"
            " ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs",
            docs.items(),
        )
        _count(db, len(chunks), length)

    def _delete(self, db: sqlite3.Connection, chunk_ids: Sequence[str]) -> None:
        for i in range(0, len(chunk_ids), _BATCH):
            part = list(chunk_ids[i : i + _BATCH])
            marks = _marks(len(part))
            ids = f"SELECT id FROM chunks WHERE chunk_id IN ({marks})"
            docs: Counter[str] = Counter()
            length = 0
            rows = db.execute(f"SELECT tokens FROM terms WHERE rowid IN ({ids})", part).fetchall()
            for (text,) in rows:
                terms = text.split()
                length += len(terms)
                docs.update(set(terms))
            db.executemany(
                "UPDATE vocabulary SET docs = docs - ? WHERE term = ?",
                [(n, t) for t, n in docs.items()],
            )
            db.executemany(
                "DELETE FROM vocabulary WHERE term = ? AND docs <= 0", [(t,) for t in docs]
            )
            _count(db, -len(rows), -length)
            db.execute(f"DELETE FROM bodies WHERE id IN ({ids})", part)
            db.execute(f"DELETE FROM terms WHERE rowid IN ({ids})", part)
            db.execute(f"DELETE FROM chunks WHERE chunk_id IN ({marks})", part)

    # --- reads -------------------------------------------------------------------------------

    def search(self, query: str, k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        terms = list(dict.fromkeys(tokens(query)))
        if not terms or k <= 0:
            return []
        db = self._read()
        with _snapshot(db):
            df = {t: n for t in terms if (n := self._doc_count(db, t))}
            if not df:
                return []
            n, total = _stats(db)
            candidates = self._candidates(db, df, filters, max(k, self._pool))
            scored = _okapi(candidates, df, n, total / max(n, 1))[:k]
            bodies = dict(
                db.execute(
                    f"SELECT id, chunk FROM bodies WHERE id IN ({_marks(len(scored))})",
                    [rowid for rowid, _ in scored],
                ).fetchall()
            )
        return [(_decode(bodies[rowid]), score) for rowid, score in scored]

    def _candidates(
        self, db: sqlite3.Connection, df: dict[str, int], filters: Filters, pool: int
    ) -> list[tuple[int, str]]:
        """(rowid, tokens) of the best `pool` chunks by the question's rarer words."""
        rare: list[str] = []
        matched = 0
        for term in sorted(df, key=lambda t: (df[t], t)):
            if rare and matched + df[term] > self._budget:
                break
            rare.append(term)
            matched += df[term]
        where, params = _filter_sql(filters)
        join = " JOIN chunks c ON c.id = terms.rowid" if where else ""
        # Ranked by bm25() only when that is cheap; a question whose rarest word is in most
        # chunks carries no keyword signal worth 100 ms, so any matching chunks will do.
        order = " ORDER BY bm25(terms)" if matched <= self._budget else ""
        rowids = [
            rowid
            for (rowid,) in db.execute(
                f"SELECT terms.rowid FROM terms{join} WHERE terms MATCH ?{where}{order} LIMIT ?",
                [_or(rare), *params, pool],
            )
        ]
        if not rowids:
            return []
        return db.execute(
            f"SELECT rowid, tokens FROM terms WHERE rowid IN ({_marks(len(rowids))})",
            rowids,
        ).fetchall()

    @staticmethod
    def _doc_count(db: sqlite3.Connection, term: str) -> int:
        row = db.execute("SELECT docs FROM vocabulary WHERE term = ?", (term,)).fetchone()
        return int(row[0]) if row else 0

    def mentions(self, word: str) -> bool:
        stems = tokens(word)
        return (bool(stems) and all(self._has(s) for s in stems)) or self._sounds_like(word)

    def _has(self, stem: str) -> bool:
        db = self._read()
        if db.execute("SELECT 1 FROM vocabulary WHERE term = ?", (stem,)).fetchone():
            return True
        if len(stem) < _PREFIX:
            return False
        prefix = stem[:_PREFIX]
        hit = db.execute(
            "SELECT 1 FROM vocabulary WHERE term >= ? AND term < ? LIMIT 1",
            (prefix, prefix + "\uffff"),
        ).fetchone()
        return hit is not None

    def _sounds_like(self, word: str) -> bool:
        folded = words(word)
        if len(folded) != 1 or (key := sound_key(folded[0])) is None:
            return False
        db = self._read()
        stems = [t for (t,) in db.execute("SELECT term FROM sound_keys WHERE key = ?", (key,))]
        return any(
            db.execute("SELECT 1 FROM vocabulary WHERE term = ?", (s,)).fetchone() for s in stems
        )

    def count(self) -> int:
        return _stats(self._read())[0]

    def newest(self) -> date | None:
        (day,) = self._read().execute("SELECT max(day) FROM chunks").fetchone()  # indexed
        return None if day is None else date.fromordinal(int(day))

    def chunk_ids(self) -> set[str]:
        return {cid for (cid,) in self._read().execute("SELECT chunk_id FROM chunks")}

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # --- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # One connection per thread: sqlite3 connections must not be shared across threads
            # without a lock, and readers in WAL mode never block each other.
            db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _read(self) -> sqlite3.Connection:
        return self._connect()

    @contextmanager
    def _write(self, wait_s: float | None = None) -> Iterator[sqlite3.Connection]:
        """A transaction that takes the write lock at once (BEGIN IMMEDIATE), so two workers'
        writes queue instead of one failing on upgrade from a read."""
        db = self._connect()
        wait_ms = int((wait_s or self._timeout) * 1000)
        try:
            db.execute(f"PRAGMA busy_timeout = {wait_ms}")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            # Locked past the timeout, disk full, read-only: a 503 (507 for the disk), and the
            # vector store's write stands; the next start's count check mends the index.
            if is_disk_full(exc, self.path.parent, writing=False):
                raise DiskFull(self.path.parent) from None
            raise BackendUnavailable(
                f"the keyword index at {self.path} could not be written: {exc}"
            ) from None

    def _tokens_version(self) -> str | None:
        try:
            row = self._read().execute("SELECT value FROM meta WHERE key = 'tokenizer'").fetchone()
        except sqlite3.OperationalError:  # no such table: a new file
            return None
        return None if row is None else str(row[0])

    def _check_tokens_version(self) -> bool:
        """Empties an index built with other tokens (the caller's repair then refills it from
        the store); True when it did."""
        with self._write() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'tokenizer'").fetchone()
            if row is not None and row[0] == TOKENS_VERSION:
                return False
            stale = row is not None
            if stale:
                _empty(db)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('tokenizer', ?)",
                (TOKENS_VERSION,),
            )
            return stale


def _or(terms: Sequence[str]) -> str:
    """Tokens as an FTS5 OR of quoted strings. Tokens hold only letters, digits, '.' and ',';
    quoting each still keeps any FTS5 syntax a question might carry (`"`, `*`, `NEAR`, `-`,
    `:`, `^`) from being read as an operator."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _okapi(
    candidates: list[tuple[int, str]], df: dict[str, int], n: int, avg: float
) -> list[tuple[int, float]]:
    """Okapi BM25 of each candidate over every question term, best first (ties by rowid)."""
    idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    scored = []
    padded = {t: f" {t} " for t in idf}
    for rowid, text in candidates:
        # Tokens are single-space separated; with every space doubled, str.count(" t ") finds
        # each whole token, neighbours included, without a split into a list.
        norm = K1 * (1 - B + B * (text.count(" ") + 1) / avg)
        text = f" {text.replace(' ', '  ')} "
        score = 0.0
        for term, weight in idf.items():
            tf = text.count(padded[term])
            if tf:
                score += weight * tf * (K1 + 1) / (tf + norm)
        scored.append((rowid, score))
    scored.sort(key=lambda r: (-r[1], r[0]))
    return scored


@contextmanager
def _snapshot(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: counts, candidates and bodies all from the same committed state."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("COMMIT")


def _empty(db: sqlite3.Connection) -> None:
    for table in ("chunks", "bodies", "terms", "sound_keys", "vocabulary"):
        db.execute(f"DELETE FROM {table}")
    db.execute("UPDATE meta SET value = 0 WHERE key IN ('chunks', 'tokens')")


def _count(db: sqlite3.Connection, chunks: int, tokens: int) -> None:
    db.execute("UPDATE meta SET value = value + ? WHERE key = 'chunks'", (chunks,))
    db.execute("UPDATE meta SET value = value + ? WHERE key = 'tokens'", (tokens,))


def _stats(db: sqlite3.Connection) -> tuple[int, int]:
    """(chunks, tokens) in the index."""
    rows = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('chunks', 'tokens')"))
    return int(rows["chunks"]), int(rows["tokens"])


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _filter_sql(filters: Filters) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if filters.sources:
        clauses.append(f"c.source IN ({_marks(len(filters.sources))})")
        params += list(filters.sources)
    if filters.date_from:
        clauses.append("c.day >= ?")
        params.append(filters.date_from.toordinal())
    if filters.date_to:
        clauses.append("c.day <= ?")  # NULL (undated) fails every comparison
        params.append(filters.date_to.toordinal())
    return "".join(f" AND {c}" for c in clauses), params


def _day(d: date | None) -> int | None:
    return d.toordinal() if d else None


def _encode(chunk: Chunk) -> str:
    return json.dumps(
        {
            "chunk_id": chunk.chunk_id,
            "doc_id": chunk.doc_id,
            "source": chunk.source,
            "title": chunk.title,
            "date": chunk.date.isoformat() if chunk.date else None,
            "start": chunk.start,
            "end": chunk.end,
            "text": chunk.text,
            "annotated": chunk.annotated,
            "dates": [d.isoformat() for d in chunk.dates],
            "content_hash": chunk.content_hash,
            "index": chunk.index,
            "total": chunk.total,
        },
        ensure_ascii=False,
    )


def _decode(body: str) -> Chunk:
    d = json.loads(body)
    return Chunk(
        chunk_id=d["chunk_id"],
        doc_id=d["doc_id"],
        source=d["source"],
        title=d["title"],
        date=date.fromisoformat(d["date"]) if d["date"] else None,
        start=d["start"],
        end=d["end"],
        text=d["text"],
        annotated=d["annotated"],
        dates=tuple(date.fromisoformat(x) for x in d["dates"]),
        content_hash=d["content_hash"],
        index=d["index"],
        total=d["total"],
    )
