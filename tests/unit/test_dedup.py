"""Near-identical passages from different articles fold into the best-ranked one."""

from __future__ import annotations

from datetime import date

from rag.retrieval.dedup import THRESHOLD, collapse_near_duplicates, overlap, shingles
from rag.types import Chunk, Passage
from tests.fake_archive import ABC_REPORT, RTE_INTRO, TASS_STORY, WIRE


def passage(doc: str, text: str, score: float, outlet: str = "", index: int = 0) -> Passage:
    chunk = Chunk(
        chunk_id=f"{doc}-{index}",
        doc_id=doc,
        source=f"{doc}.txt",
        title="",
        date=date(2017, 3, 7),
        start=0,
        end=len(text),
        text=text,
        annotated=text,
        outlet=outlet,
    )
    return Passage(chunk, score)


def window(text: str, start_word: int, words: int = 120) -> str:
    return " ".join(text.split()[start_word : start_word + words])


def test_wire_copy_rechunked_and_edited_collapses_with_its_sources_attached() -> None:
    rte = RTE_INTRO + WIRE.replace("more than 4,000", "about 4,500")
    ranked = [
        passage("dw", window(WIRE, 0), 0.9, "DW"),
        passage("abc", ABC_REPORT, 0.8, "ABC News"),
        # RTÉ's copy: its own first paragraph shifts every chunk boundary; a figure differs.
        passage("rte", window(rte, 0), 0.7, "RTÉ"),
        passage("tass", TASS_STORY, 0.6, "TASS"),
    ]
    kept = collapse_near_duplicates(ranked)
    assert [p.chunk.doc_id for p in kept] == ["dw", "abc", "tass"]
    (copy,) = kept[0].also_in
    assert copy.chunk.outlet == "RTÉ" and copy.chunk.source == "rte.txt"
    assert "about 4,500" in copy.chunk.text  # the copy's own text, to compare figures
    assert THRESHOLD <= copy.similarity < 1.0
    assert [p.score for p in kept] == [0.9, 0.8, 0.6]


def test_independent_reports_of_one_event_stay_apart() -> None:
    # Same event, place and some names; written separately, so few 5-word runs in common.
    a, b = shingles(WIRE), shingles(ABC_REPORT)
    assert overlap(a, b) < 0.1
    kept = collapse_near_duplicates([passage("dw", WIRE, 0.9), passage("abc", ABC_REPORT, 0.8)])
    assert len(kept) == 2 and not kept[0].also_in


def test_neighbouring_chunks_of_one_article_are_not_copies() -> None:
    first, second = window(WIRE, 0, 100), window(WIRE, 60, 100)  # 40 words of overlap
    kept = collapse_near_duplicates([passage("dw", first, 0.9, index=0),
                                     passage("dw", second, 0.8, index=1)])  # fmt: skip
    assert len(kept) == 2


def test_copies_folded_earlier_move_with_their_passage() -> None:
    text = window(WIRE, 0)
    ranked = [passage("a", text, 0.9), passage("b", text, 0.8), passage("c", text, 0.7)]
    (kept,) = collapse_near_duplicates(ranked)
    assert [c.chunk.doc_id for c in kept.also_in] == ["b", "c"]
    assert all(c.similarity == 1.0 for c in kept.also_in)
