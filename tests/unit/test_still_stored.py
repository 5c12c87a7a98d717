from datetime import date

from rag.answer.compose.still_stored import keep_stored
from rag.answer.compose.verified import REFUSAL_TEXT
from rag.text.markers import cited_sentences
from rag.types import Answer, Chunk, Citation, Passage, Statement


def passage(chunk_id: str) -> Passage:
    chunk = Chunk(chunk_id, chunk_id[:4], f"{chunk_id}.txt", "", None, 0, 10, "text", "text")
    return Passage(chunk, 0.5)


def citation(n: int, chunk_id: str) -> Citation:
    return Citation(n, f"{chunk_id}.txt", 0, 10, "quote", date(2024, 7, 4), chunk_id)


def answer(text: str, cited: list[str]) -> Answer:
    citations = [citation(i + 1, cid) for i, cid in enumerate(cited)]
    statements = [
        Statement(part.text, tuple(citations[n - 1] for n in part.numbers))
        for part in cited_sentences(text)
    ]
    return Answer(text, citations, [passage(c) for c in cited], True, "q?", statements=statements)


def test_answer_whose_sources_all_remain_is_unchanged() -> None:
    a = answer("Xi met Putin in Astana [1]. They signed a deal [2].", ["aaaa-1", "bbbb-1"])
    assert keep_stored(a, {"aaaa-1", "bbbb-1"}) is a


def test_sentences_citing_a_deleted_source_go_and_the_rest_are_renumbered() -> None:
    a = answer(
        "Xi met Putin in Astana [1]. They signed a deal [2]. Trade grew by 26% [3].",
        ["aaaa-1", "bbbb-1", "cccc-1"],
    )

    kept = keep_stored(a, {"aaaa-1", "cccc-1"})

    assert kept.text == "Xi met Putin in Astana [1]. Trade grew by 26% [2]."
    assert [(c.n, c.chunk_id) for c in kept.citations] == [(1, "aaaa-1"), (2, "cccc-1")]
    assert [p.chunk.chunk_id for p in kept.passages] == ["aaaa-1", "cccc-1"]
    assert kept.answered is True
    assert "deleted while answering" in kept.notes[-1]


def test_a_sentence_that_also_cites_a_deleted_source_goes_whole() -> None:
    # "N days between A and B" needs both events: half its support is no support.
    a = answer("They met 300 days apart [1][2].", ["aaaa-1", "bbbb-1"])

    kept = keep_stored(a, {"aaaa-1"})

    assert kept.answered is False
    assert kept.text == REFUSAL_TEXT
    assert kept.citations == []
    assert [p.chunk.chunk_id for p in kept.passages] == ["aaaa-1"]


def test_nothing_cited_left_is_the_refusal() -> None:
    a = answer("Xi announced $100 billion in loans [1].", ["aaaa-1"])

    kept = keep_stored(a, set())

    assert (kept.text, kept.citations, kept.passages, kept.answered) == (
        REFUSAL_TEXT,
        [],
        [],
        False,
    )
