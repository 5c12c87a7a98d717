"""Web pages: the article's text and date, without menus, cookie banners and "Most read"."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rag.documents.html import extract_builtin, extract_page, published_date
from rag.documents.loader import parse_document

PAGE = (Path(__file__).parent / "data" / "news_page.html").read_text()
ARTICLE = [
    "The Democratic Unionist Party won 28 seats in the Northern Ireland Assembly election",
    "Sinn Féin won 27 seats, its best result since the assembly was founded.",
    "Turnout was 64.8 percent, the highest since 1998.",
]
FURNITURE = [
    "Cookie policy", "cookies", "Most read", "Most popular", "Celebrity wedding", "Related stories",
    "Brexit talks stall", "Share on Facebook", "morning briefing", "Sign up", "Terms of use",
    "Privacy policy", "Home", "Business", "Topics:", "dataLayer", "a dog surfs", "Example News Ltd",
]  # fmt: skip


def extractors() -> list[str]:
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        return ["builtin"]
    return ["builtin", "trafilatura"]


@pytest.mark.parametrize("extractor", extractors())
def test_main_text_only(extractor: str) -> None:
    page = extract_builtin(PAGE) if extractor == "builtin" else extract_page(PAGE)
    assert page.extractor == extractor
    for sentence in ARTICLE:
        assert sentence in page.text
    for junk in FURNITURE:
        assert junk not in page.text, junk
    # The headline names the story; it stays in the text, first.
    assert page.text.startswith("Stormont election: DUP wins 28 seats after final count")
    assert page.published == date(2017, 3, 6)


def test_builtin_keeps_paragraphs_apart() -> None:
    text = extract_builtin(PAGE).text
    assert "\n\nSinn Féin won 27 seats" in text


def test_page_without_article_element_drops_furniture_by_class() -> None:
    html = (
        '<html><body><div class="nav-bar"><a>World</a></div>'
        '<div id="content"><p>Kelp farms grew 12 percent.</p></div>'
        '<div class="most-read-box"><h2>Most read</h2><p>Cookie policy</p></div>'
        '<div class="consent" hidden><p>Accept</p></div></body></html>'
    )
    page = extract_builtin(html)
    assert page.text == "Kelp farms grew 12 percent."


def test_head_without_end_tag() -> None:
    page = extract_builtin("<html><head><title>Kelp</title><body><p>Kelp grew.</p></body>")
    assert (page.title, page.text) == ("Kelp", "Kelp grew.")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta property="article:published_time" content="2017-03-16T10:00:00Z">',
         date(2017, 3, 16)),
        ('<meta content="2017-03-16" name="date">', date(2017, 3, 16)),
        ('<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, '
         '{"@type": "NewsArticle", "datePublished": "2017-02-28T23:00:00+01:00"}]}</script>',
         date(2017, 2, 28)),
        ('<script type="application/ld+json">not json</script>', None),
        ("", None),
    ],
)  # fmt: skip
def test_publication_date_from_markup(head: str, expected: date | None) -> None:
    assert published_date(f"<html><head>{head}</head><body><p>x</p></body></html>") == expected


def test_time_element_when_no_meta() -> None:
    html = '<article><time datetime="2017-03-01T09:00">1 March</time><p>Text.</p></article>'
    assert published_date(html) == date(2017, 3, 1)
    assert published_date('<time datetime="soon">x</time>') is None


def test_meta_wins_over_json_ld_and_time() -> None:
    html = (
        '<meta property="article:published_time" content="2017-03-06">'
        '<script type="application/ld+json">{"datePublished": "2017-03-01"}</script>'
        '<time datetime="2017-02-01">x</time>'
    )
    assert published_date(html) == date(2017, 3, 6)


def test_parse_document_uses_the_page_date_and_title() -> None:
    doc = parse_document(PAGE.encode(), "stormont.html")
    assert doc.date == date(2017, 3, 6)
    assert doc.title.startswith("Stormont election: DUP wins 28 seats")
    assert "Cookie policy" not in doc.text and "Most read" not in doc.text
