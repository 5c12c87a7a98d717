"""Distinct articles first: the top-k of a ranking holds as many articles as can answer.

Neighbouring chunks of one article often rank next to each other (they share its names and
words), so the three passages a prompt gets are easily two of one article and one of another,
and an event several outlets reported shows fewer of them than would fit. After fusion and the
near-duplicate collapse, `distinct_articles_first` moves the best passage of each further
*relevant* article ahead of an article's second passage within the first k. It only reorders:
the pool keeps every passage, a repeated passage is moved back behind the promoted ones, never
dropped, and an article's best passage never moves down.

"Relevant" is `is_relevant`: found by both searches, or in the first `RELEVANT_RANK` of one.
Without that floor, the weakest candidate of a search (rank 20 of 20) would push out a second
passage of the article that answers, just for being another article.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.types import Passage

# Ranks 1-10 are the better half of the 20 candidates each search contributes by default
# (`RAG_RETRIEVAL__CANDIDATES`); a passage both searches found is relevant at any rank.
RELEVANT_RANK = 10


def is_relevant(passage: Passage) -> bool:
    """Whether the passage clears the relevance floor that lets it be promoted.

    A passage without ranks (a retriever that does not fuse two searches) counts as relevant:
    nothing says it is weak."""
    ranks = [r for r in (passage.dense_rank, passage.sparse_rank) if r is not None]
    return not ranks or len(ranks) == 2 or min(ranks) <= RELEVANT_RANK


def distinct_articles_first(passages: Sequence[Passage], k: int) -> list[Passage]:
    """`passages` (best first) reordered so that the first `k` hold at most one passage per
    article while another relevant article remains; the rest follow in their order.

    >>> [p.chunk.doc_id for p in distinct_articles_first([a1, a2, b1], 2)]
    ['a', 'b', 'a']
    """
    head: list[Passage] = []
    rest: list[Passage] = []
    articles: set[str] = set()
    for passage in passages:
        doc = passage.chunk.doc_id
        if len(head) < k and doc not in articles and (not head or is_relevant(passage)):
            head.append(passage)
            articles.add(doc)
        else:
            rest.append(passage)
    return head + rest
