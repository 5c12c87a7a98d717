"""Read article files (plain text, Markdown, HTML) into `Document` values.

The text is stored without its page furniture (`rag.documents.furniture`: share bars, link
lists, "READ MORE:" cross-links, lines of page controls), and the title is the first line
left, so never "Advertisement". `content_hash` is the file's sha256 when nothing was removed
and otherwise also covers the cleaned text, so a file stored before its furniture was removed
(or before a change in what is removed) gets new chunk ids and its old chunks are replaced
rather than kept under the same ids.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from rag.documents.furniture import Cleaned, clean, is_furniture
from rag.documents.html import extract_page
from rag.errors import DocumentError, UnsupportedFileType
from rag.text.dates import safe_date
from rag.types import Document

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
MAX_FILE_BYTES = 5_000_000

# The corpus convention: an optional first line " date YYYY-MM-DD", often followed on the same
# line by the article's first sentence.
_DATE_HEADER = re.compile(r"\A[ \t\ufeff]*date[ \t]+(\d{4})-(\d{2})-(\d{2})\b[ \t]*")


def doc_id_for(source: str) -> str:
    """Stable id from the source name, so re-ingesting a file replaces rather than duplicates."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


def iter_article_paths(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """Yield (file, source name) for each article; folders are walked in sorted order."""
    for path in paths:
        if not path.exists():
            raise DocumentError(f"{path}: no such file or folder")
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            for file in files:
                if file.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield file, file.relative_to(path).as_posix()
        else:
            yield path, path.name


def _hidden(file: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(root).parts)


def load_document(path: Path, source: str | None = None) -> Document:
    """Read one file; raise `DocumentError` with a one-line reason when it is unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DocumentError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return parse_document(data, source or path.name)


def check_file_type(source: str) -> str:
    """The file's suffix, lower-cased; UnsupportedFileType unless it is an article format."""
    suffix = Path(source).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedFileType(
            f"{source}: unsupported file type {suffix or '(none)'}; use {allowed}"
        )
    return suffix


def parse_document(data: bytes, source: str, *, remove_furniture: bool = True) -> Document:
    """The article in `data`. `remove_furniture=False` keeps page furniture in, as documents
    were read before it was removed (for measuring the change and testing re-ingest)."""
    suffix = check_file_type(source)
    if len(data) > MAX_FILE_BYTES:
        raise DocumentError(f"{source}: {len(data)} bytes is over the {MAX_FILE_BYTES} limit")
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{source}: looks like a binary file, not an article")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{source}: not UTF-8 text (bad byte at offset {exc.start}); re-save it as UTF-8"
        ) from None
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    tidy = clean if remove_furniture else Cleaned
    if suffix in HTML_SUFFIXES:
        text, published, body_start, title, cleaned = _from_html(raw, tidy)
    else:
        published, body_start = _date_header(raw)
        body = tidy(raw[body_start:])
        text = raw[:body_start] + body.text
        title = _first_line(body.text, markdown=suffix in {".md", ".markdown"})
        cleaned = bool(body.removed)
    if not text[body_start:].strip():
        raise DocumentError(f"{source}: the file has no text")
    digest = hashlib.sha256(data)
    if cleaned:
        digest.update(f"\0{title}\0{text}".encode())
    return Document(
        doc_id=doc_id_for(source),
        source=source,
        title=title,
        date=published,
        text=text,
        body_start=body_start,
        content_hash=digest.hexdigest(),
    )


def _date_header(text: str) -> tuple[date | None, int]:
    match = _DATE_HEADER.match(text)
    if not match:
        return None, 0
    # A malformed header is treated as no date rather than rejecting the article.
    year, month, day = match.groups()
    return safe_date(int(year), int(month), int(day)), match.end()


def _first_line(body: str, *, markdown: bool) -> str:
    """The article's first non-empty line, as the README promises: a short heading ("Brexit
    deal") is still the headline, and guessing past it took the first sentence instead."""
    for line in body.split("\n"):
        line = line.strip()
        if markdown:
            line = line.lstrip("#").strip()
        if line:
            return line[:200]
    return ""


def _from_html(raw: str, tidy: Callable[[str], Cleaned]) -> tuple[str, date | None, int, str, bool]:
    """Text, date, body start, title, and whether furniture was removed (title included)."""
    published, header_end = _date_header(raw)
    page = extract_page(raw[header_end:])
    body = tidy(page.text)
    furniture_title = tidy is clean and bool(page.title) and is_furniture(page.title)
    title = "" if furniture_title else page.title
    title = title or _first_line(body.text, markdown=False)
    cleaned = bool(body.removed) or furniture_title
    return body.text, published or page.published, 0, title[:200], cleaned
