"""The article in a web page: its main text, headline and publication date, without the page.

A saved news page is mostly not the article: menus, a cookie banner, "Most read", "Related
stories", share buttons, a newsletter form and a footer of policies. Indexed, they make every
page match "cookie policy" and crowd the article out of its own chunks. With the optional
`html` extra installed (`pip install -e '.[html]'`), trafilatura finds the main text; without
it the built-in extractor keeps what is inside `<article>` (else `<main>`, else `<body>`)
and drops navigation, asides, forms and any element whose class or id names boilerplate.

The publication date comes from the page's own markup, in this order: the
`article:published_time` (or `date`, `pubdate`) meta tag, JSON-LD `datePublished`, then the
first `<time datetime>`; never a guess from the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Any, ClassVar

from rag.text.dates import safe_date

__all__ = ["ExtractedPage", "extract_builtin", "extract_page", "published_date"]

_META_DATE_NAMES = ("article:published_time", "datepublished", "date", "pubdate", "dc.date")
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_JSON_LD = re.compile(
    r"<script[^>]+type=[\"']application/ld\+json[\"'][^>]*>(.*?)</script>",
    re.IGNORECASE | re.DOTALL,
)
# class/id words of page furniture; matched as whole words or hyphen/underscore parts.
_BOILERPLATE = re.compile(
    r"(?:^|[\s_-])(?:menu|nav|navbar|navigation|cookies?|consent|gdpr|related|most-?read|"
    r"most-?popular|popular|trending|share|sharing|social|newsletter|subscribe|signup|sign-up|"
    r"promo|advert|advertisement|ads?|sponsored|breadcrumbs?|comments?|sidebar|banner|"
    r"recommended|outbrain|taboola)(?:$|[\s_-])",
    re.IGNORECASE,
)
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


@dataclass(frozen=True)
class ExtractedPage:
    text: str  # paragraphs separated by blank lines
    title: str  # the <title>, else the first <h1>
    published: date | None
    extractor: str  # "trafilatura" or "builtin"


def extract_page(raw: str) -> ExtractedPage:
    """Main text with trafilatura when it is installed and finds any, else the built-in way."""
    builtin = extract_builtin(raw)
    try:
        import trafilatura
    except ImportError:
        return builtin
    body = trafilatura.extract(
        raw, include_comments=False, include_tables=True, favor_precision=True
    )
    if not body or not body.strip():
        return builtin
    paragraphs = [" ".join(line.split()) for line in body.splitlines()]
    headline = _Extractor.headline_of(raw)
    # trafilatura leaves the headline out; it names the story, so the chunks should have it.
    if headline and headline not in paragraphs[:1]:
        paragraphs.insert(0, headline)
    text = "\n\n".join(p for p in paragraphs if p)
    return ExtractedPage(text, builtin.title, builtin.published, "trafilatura")


def extract_builtin(raw: str) -> ExtractedPage:
    parser = _Extractor()
    parser.feed(raw)
    parser.close()
    return ExtractedPage(parser.text(), parser.page_title(), published_date(raw), "builtin")


def published_date(raw: str) -> date | None:
    """The publication day the page's markup states; None when it states none."""
    meta = _MetaDates()
    meta.feed(raw)
    meta.close()
    for name in _META_DATE_NAMES:
        if name in meta.meta and (day := _day(meta.meta[name])):
            return day
    for block in _JSON_LD.findall(raw):
        if day := _json_ld_date(block):
            return day
    for value in meta.times:
        if day := _day(value):
            return day
    return None


def _day(value: str) -> date | None:
    match = _ISO_DAY.match(value)
    if not match:
        return None
    return safe_date(int(match[1]), int(match[2]), int(match[3]))


def _json_ld_date(block: str) -> date | None:
    try:
        data: Any = json.loads(block)
    except ValueError:
        return None
    stack = [data]
    while stack:  # @graph lists and nested objects: the first datePublished found
        item = stack.pop(0)
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            value = item.get("datePublished")
            if isinstance(value, str) and (day := _day(value)):
                return day
            stack.extend(v for v in item.values() if isinstance(v, list | dict))
    return None


class _MetaDates(HTMLParser):
    """`<meta>` dates by lower-cased name or property, and `<time datetime>` values in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.times: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta":
            name = values.get("property") or values.get("name") or values.get("itemprop") or ""
            if name and "content" in values:
                self.meta.setdefault(name.lower(), values["content"])
        elif tag == "time" and values.get("datetime"):
            self.times.append(values["datetime"])


class _Extractor(HTMLParser):
    """Visible text with blank lines between blocks, page furniture left out."""

    _BLOCKS: ClassVar[frozenset[str]] = frozenset(
        "p div br li h1 h2 h3 h4 h5 h6 tr section article header footer blockquote pre ul ol "
        "table figure figcaption main dl dt dd".split()
    )
    # Never text: code, styles, and what only navigates or collects input.
    _SKIP: ClassVar[frozenset[str]] = frozenset(
        "script style noscript template svg nav aside footer form button select textarea "
        "iframe dialog menu figcaption".split()
    )
    # Page furniture outside the article, but an article's own header holds its headline.
    _SKIP_OUTSIDE_ARTICLE: ClassVar[frozenset[str]] = frozenset({"header"})
    _CONTAINERS: ClassVar[tuple[str, ...]] = ("article", "main")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # Text parts, each tagged with the containers open around it.
        self._parts: list[tuple[str, frozenset[str]]] = []
        self._open: dict[str, int] = {c: 0 for c in self._CONTAINERS}
        self._seen: set[str] = set()
        self._skip_tag: str | None = None  # the element being skipped, and its nesting
        self._skip_depth = 0
        self._in_title = False
        self._in_head = False
        self._in_h1 = False
        self._title = ""
        self._h1 = ""

    @classmethod
    def headline_of(cls, raw: str) -> str:
        parser = cls()
        parser.feed(raw)
        parser.close()
        return " ".join(parser._h1.split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        if tag == "title":
            self._in_title = True
            return
        if tag == "head":
            self._in_head = True
            return
        if tag == "body":
            self._in_head = False  # "</head>" is optional
        if tag not in _VOID and self._skipped(tag, attrs):
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag in self._open:
            self._open[tag] += 1
            self._seen.add(tag)
        if tag in self._BLOCKS:
            self._add("\n\n")
        if tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        if tag == "title":
            self._in_title = False
        if tag == "head":
            self._in_head = False
        if self._open.get(tag):
            self._open[tag] -= 1
        if tag in self._BLOCKS:
            self._add("\n\n")
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._skip_tag is not None:
            return
        if self._in_title:
            self._title += data
            return
        if self._in_head:
            return  # only the title of the head is text
        self._add(re.sub(r"\s+", " ", data))
        if self._in_h1 and not self._h1.strip():
            self._h1 += data

    def _skipped(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag in self._SKIP:
            return True
        if tag in self._SKIP_OUTSIDE_ARTICLE and not self._open["article"]:
            return True
        if tag in ("body", "html", "article", "main"):
            return False
        values = {k: v or "" for k, v in attrs}
        marks = " ".join((values.get("class", ""), values.get("id", ""), values.get("role", "")))
        hidden = "hidden" in values or values.get("aria-hidden") == "true"
        return hidden or bool(_BOILERPLATE.search(marks))

    def _add(self, text: str) -> None:
        inside = frozenset(c for c, n in self._open.items() if n)
        self._parts.append((text, inside))

    def page_title(self) -> str:
        return " ".join((self._title or self._h1).split())

    def text(self) -> str:
        # The article's text when the page marks it, else everything left after the skips.
        container = next((c for c in self._CONTAINERS if c in self._seen), None)
        kept = [t for t, inside in self._parts if container is None or container in inside]
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "".join(kept))]
        return "\n\n".join(p for p in paragraphs if p)
