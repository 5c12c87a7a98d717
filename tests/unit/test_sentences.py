import pytest

from rag.documents.chunker import chunk_document
from rag.documents.loader import parse_document
from rag.text.sentences import sentence_spans, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Titles and initialisms inside a sentence do not end it.
        (
            "U.S. President Joe Biden met Mr. Xi on Jan. 5. They talked for an hour.",
            ["U.S. President Joe Biden met Mr. Xi on Jan. 5.", "They talked for an hour."],
        ),
        ("Dr. Smith and Gen. Lee spoke in St. Petersburg.", None),
        ("It was No. 2 on the list, Sept. 11 aside.", None),
        ("John F. Kennedy spoke.", None),
        ("It grew 3.5 percent.", None),
        # ...but an initialism or abbreviation can end one when a sentence opener follows.
        (
            "Sanctions were imposed by the U.S. The Kremlin said no. It was over.",
            ["Sanctions were imposed by the U.S.", "The Kremlin said no.", "It was over."],
        ),
        ("Shares of Apple Inc. The company grew.", ["Shares of Apple Inc.", "The company grew."]),
        ('"We agree." He left. Why? Because.', ['"We agree."', "He left.", "Why?", "Because."]),
    ],
)
def test_sentences_split_at_real_ends_only(text: str, expected: list[str] | None) -> None:
    assert split_sentences(text) == (expected or [text])


def test_paragraphs_break_sentences_and_mark_their_first() -> None:
    text = "First one. Second one\n\nThird one."
    spans = sentence_spans(text)
    assert [text[s.start : s.end] for s in spans] == ["First one.", "Second one", "Third one."]
    assert [s.paragraph_start for s in spans] == [True, False, True]


def test_the_chunker_never_cuts_a_title_from_its_name() -> None:
    body = " ".join(["Mr. Xi met U.S. President Biden on Jan. 5 in Washington."] * 40)
    chunks = chunk_document(parse_document(body.encode(), "a.txt"), max_chars=200, overlap_chars=0)
    for chunk in chunks:
        assert chunk.text.startswith("Mr. Xi")
        assert chunk.text.endswith("Washington.")
