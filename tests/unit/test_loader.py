import hashlib
from datetime import date
from pathlib import Path

import pytest

from rag.documents.loader import iter_article_paths, load_document, parse_document
from rag.errors import DocumentError
from tests.conftest import ASTANA, CORPUS


def test_date_header_is_parsed_and_the_body_starts_after_it() -> None:
    doc = load_document(CORPUS / ASTANA)
    assert doc.date == date(2024, 7, 4)
    assert doc.title == "Xi highlights unique value of relations with Russia"
    assert doc.text[doc.body_start :].startswith("Xi highlights")


def test_article_without_date_is_kept_undated() -> None:
    doc = load_document(CORPUS / "001_0b3d8da0e1441ad0.txt")
    assert doc.date is None
    assert doc.title.startswith("Xi urges Putin")


def test_a_scraped_advertisement_line_is_neither_text_nor_title() -> None:
    # Page furniture goes before the title is taken: the first line left is the first
    # sentence, as for the other sample articles whose date header shares it.
    doc = load_document(CORPUS / "003_891f867d674dd8be.txt")
    assert doc.title.startswith("Russian President Vladimir Putin and Chinese President Xi")
    assert "Advertisement" not in doc.text
    assert doc.text.startswith(" date 2024-05-17 Russian President Vladimir Putin")


def test_a_file_without_furniture_is_stored_as_it_is_under_its_sha256() -> None:
    data = (CORPUS / ASTANA).read_bytes()
    doc = parse_document(data, ASTANA)
    assert doc.text == data.decode("utf-8")
    assert doc.content_hash == hashlib.sha256(data).hexdigest()


def test_a_file_with_furniture_hashes_differently_from_its_bytes() -> None:
    # Stored before furniture was removed, its chunks carry the bytes' sha256; the cleaned
    # version must not reuse those chunk ids, or re-ingesting would keep the old chunks.
    data = (CORPUS / "003_891f867d674dd8be.txt").read_bytes()
    assert parse_document(data, "003.txt").content_hash != hashlib.sha256(data).hexdigest()


def test_a_furniture_page_title_gives_way_to_the_first_line() -> None:
    page = b"<html><head><title>Advertisement</title></head><body><p>Tea prices rose.</p></body>"
    assert parse_document(page, "a.html").title == "Tea prices rose."


def test_title_is_the_first_line_even_a_short_one() -> None:
    # The README's rule, with no guessing: a short heading is still the headline.
    assert parse_document(b"Brexit deal\n\nMPs voted on Tuesday.", "a.txt").title == "Brexit deal"


@pytest.mark.parametrize(
    ("data", "name", "title"),
    [
        (b"# Hi there\n\nSome text that is longer than the heading.", "a.md", "Hi there"),
        (b"Brexit\n\nSome text that is longer than the heading.", "a.txt", "Brexit"),
        (b"\n\n  \n  Summit report  \nSome text.", "a.txt", "Summit report"),
        (b" date 2024-07-04 \nTea prices\n\nSome text.", "a.txt", "Tea prices"),
        (b" date 2024-07-04 Tea prices rise\n\nSome text.", "a.txt", "Tea prices rise"),
        (b" date 2024-07-04\n\n## Tea\n\nSome text.", "a.md", "Tea"),
        (
            b"<html><body><h1>Tea</h1><p>Some text that is longer.</p></body></html>",
            "a.html",
            "Tea",
        ),
        (
            b"<html><body><p>Tea news</p><p>Some text that is longer.</p></body></html>",
            "a.htm",
            "Tea news",
        ),
    ],
)
def test_title_is_the_first_non_empty_line_after_the_date_header(
    data: bytes, name: str, title: str
) -> None:
    assert parse_document(data, name).title == title


def test_markdown_title_drops_hashes() -> None:
    doc = parse_document(b"# Big news today\n\nSomething happened on Monday.", "a.md")
    assert doc.title == "Big news today"


def test_html_text_title_and_meta_date() -> None:
    html = (
        b"<html><head><title>Summit report</title>"
        b'<meta name="date" content="2024-07-04"><style>p{}</style></head>'
        b"<body><h1>Summit</h1><p>Xi met Putin on Wednesday.</p><script>x=1</script>"
        b"<p>Second &amp; last.</p></body></html>"
    )
    doc = parse_document(html, "a.html")
    assert doc.title == "Summit report"
    assert doc.date == date(2024, 7, 4)
    assert "Xi met Putin on Wednesday." in doc.text
    assert "Second & last." in doc.text
    assert "x=1" not in doc.text and "p{}" not in doc.text


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x00\x01\x02binary", "a.txt", "binary"),
        ("caf\u00e9".encode("latin-1"), "a.txt", "not UTF-8"),
        (b"   \n\n  ", "a.txt", "no text"),
        (b" date 2024-07-04 \n", "a.txt", "no text"),
        (b"hello", "a.pdf", "unsupported file type"),
    ],
)
def test_bad_files_get_one_line_reasons(data: bytes, name: str, message: str) -> None:
    with pytest.raises(DocumentError, match=message) as info:
        parse_document(data, name)
    assert "\n" not in str(info.value)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        list(iter_article_paths([tmp_path / "nope"]))


def test_folders_are_walked_in_order_and_hidden_files_skipped(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("B article text here.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("A article text here.")
    (tmp_path / ".hidden.txt").write_text("secret")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert [s for _, s in iter_article_paths([tmp_path])] == ["b.txt", "sub/a.md"]
