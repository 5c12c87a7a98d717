"""Newest articles first for "latest" questions; reports of the day for a dated event.

A story reported day by day ranks by similarity, not by date: the report that the body is
"still in Kuala Lumpur" matches a question about the body as well as the later report that it
was released, often better (it repeats the question's words). For a question that asks for the
latest (`TimeScope.latest`), `newest_first` puts the relevant articles of the pool in order of
publication, newest first, one passage each (its best), ahead of everything else.

The rule: among the passages that clear the relevance floor (`diversity.is_relevant`: found by
both searches or in the first ten of one) and are about the question's story (`about`: they
name all its names, with their article's headline, `rag.text.subject.Subject.named_in`), the
newer article wins; the other passages keep their place behind. The floor keeps "newest" near
the question's words, and the names keep it within the story: the newest article of a long
story clears the floor on the story's words alone ("Malaysia", "the killing") without naming
the suspect asked about.
Where no relevant passage names them all, the floor alone decides, as if no names were
asked. Undated articles follow the dated ones (nothing says they are newer). Only the order
changes; the pool keeps every passage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from rag.retrieval.diversity import is_relevant
from rag.types import Passage


def newest_first(
    passages: Sequence[Passage], k: int, about: Callable[[Passage], bool] | None = None
) -> list[Passage]:
    """`passages` (best first) with the `k` newest relevant articles' best passages first,
    newest first (one day's in their order), then the rest in their order. With `about`,
    only passages it accepts count as relevant, unless it accepts none of them.

    >>> [p.chunk.date.day for p in newest_first([still_there_28th, released_30th], 2)]
    [30, 28]
    """
    relevant = [(i, p) for i, p in enumerate(passages) if is_relevant(p)]
    on_story = [(i, p) for i, p in relevant if about is None or about(p)]
    best: dict[str, tuple[int, Passage]] = {}
    for i, passage in on_story or relevant:
        best.setdefault(passage.chunk.doc_id, (i, passage))

    def recency(entry: tuple[int, Passage]) -> tuple[bool, int, int]:
        i, passage = entry
        day = passage.chunk.date
        return (day is None, -day.toordinal() if day else 0, i)

    chosen = sorted(best.values(), key=recency)[:k]
    head = [p for _, p in chosen]
    taken = {i for i, _ in chosen}
    return head + [p for i, p in enumerate(passages) if i not in taken]


def reports_of_first(passages: Sequence[Passage], k: int, days: Sequence[date]) -> list[Passage]:
    """`passages` (best first) with the best passages of up to `k` relevant articles that
    report on one of `days` first, in their order, then the rest in their order.

    A question naming the day of an event ("what did Turkey say on 13 March 2017") is
    answered by the reports of that day: news is published the same day or the next, or
    names the day when it looks back. So an article counts when it was published on a day of
    `days` or the day after, or when the passage mentions one of them (dates resolved at
    ingest). Relevance still decides among them and the floor still holds.
    """
    wanted = set(days) | {d + timedelta(days=1) for d in days}
    chosen: list[int] = []
    articles: set[str] = set()
    for i, passage in enumerate(passages):
        chunk = passage.chunk
        if len(chosen) == k or chunk.doc_id in articles or not is_relevant(passage):
            continue
        if chunk.date in wanted or any(d in chunk.dates for d in days):
            chosen.append(i)
            articles.add(chunk.doc_id)
    taken = set(chosen)
    return [passages[i] for i in chosen] + [p for i, p in enumerate(passages) if i not in taken]
