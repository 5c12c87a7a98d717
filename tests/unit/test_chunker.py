import itertools

from rag.documents.chunker import chunk_document
from rag.documents.loader import load_document, parse_document
from rag.text.sentences import sentence_spans
from tests.conftest import ASTANA, CORPUS


def test_chunks_are_exact_spans_of_the_article_and_fit_the_size() -> None:
    for path in sorted(CORPUS.iterdir()):
        doc = load_document(path)
        chunks = chunk_document(doc, max_chars=800, overlap_chars=200)
        assert chunks
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert len(c.text) <= 800
            assert c.total == len(chunks)
        # Every body sentence lands in some chunk: nothing is lost between chunks.
        covered = {i for c in chunks for i in range(c.start, c.end)}
        for s in sentence_spans(doc.text, doc.body_start):
            assert s.start in covered and s.end - 1 in covered


def test_relative_dates_are_resolved_in_the_text_the_model_sees() -> None:
    chunks = chunk_document(load_document(CORPUS / ASTANA))
    first = chunks[0]
    assert "called on Wednesday [3 July 2024] for China" in first.annotated
    assert "Astana, Kazakhstan" in first.text  # the date and the meeting stay together
    assert first.dates[0].isoformat() == "2024-07-03"


def test_chunk_ids_are_stable_and_change_with_content() -> None:
    a1 = chunk_document(parse_document(b"First sentence here. Second one.", "a.txt"))
    a2 = chunk_document(parse_document(b"First sentence here. Second one.", "a.txt"))
    b = chunk_document(parse_document(b"First sentence here. Changed one.", "a.txt"))
    assert [c.chunk_id for c in a1] == [c.chunk_id for c in a2]
    assert a1[0].chunk_id != b[0].chunk_id
    assert a1[0].doc_id == b[0].doc_id


def test_consecutive_chunks_overlap_when_sentences_are_short() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(60)).encode()
    chunks = chunk_document(parse_document(text, "long.txt"), max_chars=200, overlap_chars=60)
    assert len(chunks) > 3
    assert all(b.start < a.end for a, b in itertools.pairwise(chunks))


def test_a_sentence_longer_than_a_chunk_is_split_at_words() -> None:
    text = ("word " * 400).strip().encode()
    chunks = chunk_document(parse_document(text, "w.txt"), max_chars=300, overlap_chars=0)
    assert all(len(c.text) <= 300 for c in chunks)
    assert all(not c.text.startswith(" ") for c in chunks)
