"""The one retrieval a question gets: its time scope applied, then reorderings for "latest",
for the day of an event, and for distinct articles.

`RagService.retrieve` and the answer path both call `retrieve_scoped`, so retrieval-only eval
measures exactly the passages an answer is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from rag.retrieval.diversity import distinct_articles_first
from rag.retrieval.recency import newest_first, reports_of_first
from rag.text.dates import find_dates, mention_period
from rag.text.subject import Subject
from rag.text.time_phrases import DateRange, TimeScope
from rag.types import Filters, Passage


def bounded(filters: Filters | None, as_of: date | None) -> Filters:
    """The request's filters, with nothing published after `as_of`: an answer "as of" a day
    cannot come from a later article."""
    filters = filters or Filters()
    if as_of is None or (filters.date_to is not None and filters.date_to <= as_of):
        return filters
    return replace(filters, date_to=as_of)


Retrieve = Callable[[str, int, Filters | None], list[Passage]]


def retrieve_in_scope(
    retrieve: Retrieve, query: str, k: int, filters: Filters, period: DateRange | None
) -> list[Passage]:
    """The `k` best passages among those published in `period` or mentioning a day in it.

    The request's own `filters` (sources, publication dates) always hold; `period` only
    narrows within them. Undated articles stay in: nothing says they are from another time.
    Two searches, because a date mentioned in a chunk is no Chroma filter: one restricted to
    the period's publication dates, one over the request's filters whose hits are kept only
    when they mention a day of the period (or are undated).
    """
    if period is None:
        return retrieve(query, k, filters)
    request = DateRange(filters.date_from, filters.date_to)
    published = request.intersect(period)
    found: dict[str, Passage] = {}
    if published is not None:
        narrowed = replace(filters, date_from=published.start, date_to=published.end)
        for p in retrieve(query, k, narrowed):
            found[p.chunk.chunk_id] = p
    for p in retrieve(query, k, filters):
        # An undated article may be from the period: a question's phrase cannot rule it out.
        if p.chunk.chunk_id not in found and (p.chunk.date is None or mentions(p, period)):
            found[p.chunk.chunk_id] = p
    return sorted(found.values(), key=lambda p: (-p.score, p.chunk.chunk_id))[:k]


@dataclass(frozen=True)
class ScopedPool:
    """What a question retrieves once its time scope is applied: the scope, the filters that
    held (the request's, capped at `as_of`), and the pool, best first; its first `top_k`
    passages are what a prompt gets."""

    scope: TimeScope
    filters: Filters
    passages: list[Passage]


def retrieve_scoped(
    retrieve: Retrieve,
    question: str,
    newest: date | None,
    top_k: int,
    pool: int,
    filters: Filters | None = None,
    as_of: date | None = None,
) -> ScopedPool:
    """The one retrieval a question gets, for an answer and for `RagService.retrieve` alike.

    The question's time scope is parsed (`newest` is the newest article's date, the reference
    of relative phrases), the filters are capped at its `as_of`, and `pool` passages (at least
    `top_k`) are retrieved in its period. Then reorderings shape the first `top_k`: for a
    "latest" question the newest relevant articles that name the question's names come first
    (`recency.newest_first`, `rag.text.subject.Subject`), for a
    question naming the day of an event the reports of that day (`recency.reports_of_first`),
    and the first `top_k` hold distinct articles while relevant ones remain
    (`diversity.distinct_articles_first`). Both only reorder the pool.
    """
    scope = TimeScope.of(question, newest, as_of)
    capped = bounded(filters, scope.as_of)
    passages = retrieve_in_scope(retrieve, question, max(top_k, pool), capped, scope.period)
    if scope.latest:
        subject = Subject.of(question)
        # With its headline: a later chunk of a report says "the party", "the suspect", and
        # the headline names whom the report is about.
        passages = newest_first(
            passages, top_k, lambda p: subject.named_in(f"{p.chunk.title}\n{p.chunk.text}")
        )
    elif scope.days:
        passages = reports_of_first(passages, top_k, scope.days)
    return ScopedPool(scope, capped, distinct_articles_first(passages, top_k))


def mentions(passage: Passage, period: DateRange) -> bool:
    """Whether the passage names a time inside `period`: a day of it ("on 30 March"), or a
    month or year within it ("in March" in an October article); "in 2017" is not within March
    2017."""
    chunk = passage.chunk
    if any(period.contains(d) for d in chunk.dates):  # resolved at ingest: no re-parsing
        return True
    for mention in find_dates(chunk.text, chunk.date):
        first, last = mention_period(mention)
        if period.contains(first) and period.contains(last):
            return True
    return False
