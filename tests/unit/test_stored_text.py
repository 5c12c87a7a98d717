"""An article's text rebuilt from its stored chunks, exactly, so citation offsets hold."""

from __future__ import annotations

import dataclasses
import random

import pytest

from rag.documents.chunker import chunk_document
from rag.documents.loader import iter_article_paths, load_document, parse_document
from rag.documents.stored import document_text
from rag.settings import PROJECT_ROOT

ARTICLES = PROJECT_ROOT / "data" / "articles"


@pytest.mark.parametrize(("max_chars", "overlap"), [(800, 200), (300, 100), (2000, 0)])
def test_chunks_in_any_order_give_back_the_text_exactly(max_chars: int, overlap: int) -> None:
    for file, source in iter_article_paths([ARTICLES]):
        doc = load_document(file, source)
        chunks = chunk_document(doc, max_chars, overlap)
        random.Random(7).shuffle(chunks)

        text = document_text(chunks)

        assert text.text == doc.text
        assert (text.doc_id, text.source, text.title, text.date) == (
            doc.doc_id,
            doc.source,
            doc.title,
            doc.date,
        )
        assert text.complete


def test_chunks_stored_without_their_gaps_keep_every_offset_true() -> None:
    # Stored before `lead`/`tail` were kept: spaces stand in for what lay between chunks.
    doc = parse_document(
        b" date 2024-07-03 Title line\n\nFirst sentence here.  Second one.\n\nThird.\n", "a.txt"
    )
    chunks = [dataclasses.replace(c, lead="", tail="") for c in chunk_document(doc, 25, 0)]
    assert len(chunks) > 1

    text = document_text(chunks).text

    for c in chunks:
        assert text[c.start : c.end] == c.text


def test_a_missing_chunk_leaves_a_gap_of_spaces_and_the_rest_in_place() -> None:
    doc = parse_document(b"One two three. Four five six. Seven eight nine. Ten.\n", "b.txt")
    chunks = chunk_document(doc, 16, 0)
    assert len(chunks) >= 3
    kept = chunks[:1] + chunks[2:]

    rebuilt = document_text(kept)

    assert not rebuilt.complete
    for c in kept:
        assert rebuilt.text[c.start : c.end] == c.text
    assert rebuilt.text[chunks[1].start : chunks[1].end].strip() == ""


def test_of_two_stored_versions_the_complete_one_is_given() -> None:
    old = parse_document(b"Old text of the article. It has two sentences.\n", "c.txt")
    new = parse_document(b"New text of the article, longer. Three sentences. Here.\n", "c.txt")
    old_chunks = chunk_document(old, 20, 0)
    new_chunks = chunk_document(new, 20, 0)[:-1]  # the new version's write was cut short

    assert document_text(old_chunks + new_chunks).text == old.text
