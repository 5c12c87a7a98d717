"""Fold near-identical passages from different articles into one.

News archives carry the same wire copy in several outlets, and updated versions of one story
on successive days. Without this, the top-k can be three copies of one paragraph and crowd out
the passage that answers. The best-ranked copy stays; the others ride along as
`Passage.also_in`, so an answer can still cite every outlet that carries the text (and notice
when their figures differ).

Similarity is the overlap of word 5-gram ("shingle") sets, measured against the smaller
passage: |A ∩ B| / min(|A|, |B|). Against the smaller one because chunk boundaries fall
differently in two outlets' copies (another headline or first paragraph, one sentence more or
less), so one chunk is often a shifted window on the other.

The threshold, 0.6, follows from the chunker's geometry, not from any question: chunks are
800 characters with 200 of overlap, so they start every ~600 characters, and any 800-character
window of a text shares at least 800 - 600/2 = 500 characters (62 %) with one of the chunks of
an exact copy of that text, however its boundaries fall. An edit changes only the five 5-grams
that span an edited word, so lightly edited copies stay above 0.6 too, while a passage with 40 %
or more of its own text (a new development in an updated story) stays separate. Over the whole
archive (21,866 chunks), pairs from different articles mostly share under 10 % of their
5-grams; bench/README.md has the distribution.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.types import Copy, Passage

SHINGLE_WORDS = 5
THRESHOLD = 0.6
_WORD = re.compile(r"[^\W_]+")


def shingles(text: str, n: int = SHINGLE_WORDS) -> frozenset[int]:
    """Hashes of the text's n-word windows, over lower-cased words without punctuation (so
    a curly and a straight quote, or a re-flowed line, do not count as differences)."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return frozenset({hash(tuple(words))}) if words else frozenset()
    return frozenset(hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1))


def overlap(a: frozenset[int], b: frozenset[int]) -> float:
    """|a ∩ b| / min(|a|, |b|): 1.0 when one passage's text is contained in the other's."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def collapse_near_duplicates(
    passages: Sequence[Passage], threshold: float = THRESHOLD
) -> list[Passage]:
    """`passages` (best first) with each near-copy of a better-ranked passage from another
    article folded into that passage's `also_in`; order and scores are kept.

    >>> [p.chunk.source for p in collapse_near_duplicates([reuters_in_rte, reuters_in_dw])]
    ['rte.txt']
    """
    kept: list[Passage] = []
    kept_shingles: list[frozenset[int]] = []
    for passage in passages:
        own = shingles(passage.chunk.text)
        home = None
        for i, (other, theirs) in enumerate(zip(kept, kept_shingles, strict=True)):
            if other.chunk.doc_id == passage.chunk.doc_id:
                continue  # neighbouring chunks of one article overlap by design
            similarity = overlap(own, theirs)
            if similarity >= threshold:
                home = (i, similarity)
                break
        if home is None:
            kept.append(passage)
            kept_shingles.append(own)
            continue
        i, similarity = home
        copies = (Copy(passage.chunk, round(similarity, 3)), *passage.also_in)
        kept[i] = replace(kept[i], also_in=kept[i].also_in + copies)
    return kept
