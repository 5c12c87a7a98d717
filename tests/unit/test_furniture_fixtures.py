"""Real-looking articles, furniture marked by hand: all of it goes, every sentence stays.

The fixtures (`tests/unit/data/furniture/`, invented texts in the archive's shapes) mark page
furniture with ⟦…⟧. The marks are taken out, the text is cleaned, and then every marked
passage must be gone and every sentence outside the marks must still be there, whole.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.documents.furniture import clean, learn
from rag.documents.loader import parse_document
from rag.text.sentences import split_sentences

FIXTURES = Path(__file__).parent / "data" / "furniture"
_MARKED = re.compile(r"⟦(.*?)⟧", re.DOTALL)


def _unmarked(text: str) -> str:
    return _MARKED.sub(lambda m: m[1], text)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _check(marked: str, cleaned: str) -> None:
    flat = _flat(cleaned)
    for furniture in _MARKED.findall(marked):
        assert _flat(furniture) not in flat, f"left in: {furniture!r}"
    kept = _MARKED.sub("\n\n", marked)  # a cut is a boundary, as in the cleaner
    for sentence in split_sentences(kept):
        if sentence.strip() and not sentence.startswith(" date "):
            assert _flat(sentence) in flat, f"lost: {sentence!r}"


@pytest.mark.parametrize("name", ["share_bar.txt", "cross_links.txt", "upload.txt"])
def test_one_file_loses_its_furniture_and_keeps_its_sentences(name: str) -> None:
    # What an upload gets: the rules that need no corpus, through the real loader.
    marked = (FIXTURES / name).read_text(encoding="utf-8")
    doc = parse_document(_unmarked(marked).encode(), name)
    _check(marked, doc.text)


def test_the_upload_fixture_keeps_its_date_and_finds_its_real_title() -> None:
    marked = (FIXTURES / "upload.txt").read_text(encoding="utf-8")
    doc = parse_document(_unmarked(marked).encode(), "upload.txt")
    assert doc.date is not None and doc.date.isoformat() == "2024-03-05"
    assert doc.title == "Harbour authority approves second ferry terminal"


def test_an_outlets_articles_lose_what_it_repeats_and_keep_what_they_share() -> None:
    # Riverside's promos recur in six or seven of its stories and go; the two versions of the
    # flood story share three sentences, which stay (two copies of one story are one story).
    files = sorted((FIXTURES / "riverside").glob("*.txt"))
    marked = {f.name: f.read_text(encoding="utf-8") for f in files}
    model = learn(("Riverside", _unmarked(m)) for m in marked.values())
    for name, text in marked.items():
        cleaned = clean(_unmarked(text), model, "Riverside")
        _check(text, cleaned.text)
        assert bool(cleaned.removed) == ("⟦" in text), name
