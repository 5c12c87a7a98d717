"""Newest articles first, for questions that ask for the latest state of a story.

A story reported day by day ranks by similarity, not by date: the report that the body is
"still in Kuala Lumpur" matches a question about the body as well as the later report that it
was released, often better (it repeats the question's words). For a question that asks for the
latest (`TimeScope.latest`), `newest_first` puts the relevant articles of the pool in order of
publication, newest first, one passage each (its best), ahead of everything else.

The rule: among the passages that clear the relevance floor (`diversity.is_relevant`: found by
both searches or in the first ten of one), the newer article wins; passages below the floor
keep their place behind. The floor is what keeps "newest" within the story: a passage of
another story is rarely in the first ten of either search. Undated articles follow the dated
ones (nothing says they are newer). Only the order changes; the pool keeps every passage.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.retrieval.diversity import is_relevant
from rag.types import Passage


def newest_first(passages: Sequence[Passage], k: int) -> list[Passage]:
    """`passages` (best first) with the `k` newest relevant articles' best passages first,
    newest first (one day's in their order), then the rest in their order.

    >>> [p.chunk.date.day for p in newest_first([still_there_28th, released_30th], 2)]
    [30, 28]
    """
    best: dict[str, tuple[int, Passage]] = {}
    for i, passage in enumerate(passages):
        if is_relevant(passage):
            best.setdefault(passage.chunk.doc_id, (i, passage))

    def recency(entry: tuple[int, Passage]) -> tuple[bool, int, int]:
        i, passage = entry
        day = passage.chunk.date
        return (day is None, -day.toordinal() if day else 0, i)

    chosen = sorted(best.values(), key=recency)[:k]
    head = [p for _, p in chosen]
    taken = {i for i, _ in chosen}
    return head + [p for i, p in enumerate(passages) if i not in taken]
