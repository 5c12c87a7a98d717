"""The order of a retrieved pool: distinct articles in the top-k, newest first for "latest"."""

from __future__ import annotations

from datetime import date

from rag.retrieval.diversity import RELEVANT_RANK, distinct_articles_first, is_relevant
from rag.retrieval.recency import newest_first, reports_of_first
from rag.retrieval.scoped import retrieve_scoped
from rag.text.subject import Subject
from rag.text.time_phrases import TimeScope
from rag.types import Chunk, Filters, Passage

MAR_30_2017 = date(2017, 3, 30)


def _p(
    chunk_id: str,
    published: date | None = None,
    dense: int | None = 1,
    sparse: int | None = 1,
    text: str = "x",
) -> Passage:
    """A passage of article `chunk_id`'s first letter ("a1", "a2": two passages of "a")."""
    doc = chunk_id[0]
    chunk = Chunk(chunk_id, doc, f"{doc}.txt", doc, published, 0, len(text), text, text)
    return Passage(chunk, 1.0, dense_rank=dense, sparse_rank=sparse)


def _ids(passages: list[Passage]) -> list[str]:
    return [p.chunk.chunk_id for p in passages]


# --- distinct articles --------------------------------------------------------------------


def test_a_second_passage_of_one_article_yields_to_another_relevant_article() -> None:
    pool = [_p("a1"), _p("a2"), _p("a3"), _p("b1"), _p("c1")]
    assert _ids(distinct_articles_first(pool, 3)) == ["a1", "b1", "c1", "a2", "a3"]


def test_only_reorders_and_keeps_the_best_passage_first() -> None:
    pool = [_p("a1"), _p("a2"), _p("b1"), _p("b2"), _p("c1")]
    got = distinct_articles_first(pool, 2)
    assert _ids(got) == ["a1", "b1", "a2", "b2", "c1"]
    assert sorted(_ids(got)) == sorted(_ids(pool))


def test_an_article_below_the_relevance_floor_is_not_promoted() -> None:
    weak = _p("b1", dense=None, sparse=RELEVANT_RANK + 1)  # one search's tail only
    pool = [_p("a1"), _p("a2"), weak]
    assert not is_relevant(weak)
    assert _ids(distinct_articles_first(pool, 2)) == ["a1", "a2", "b1"]
    # In the first ranks of one search it is relevant.
    strong = _p("b1", dense=RELEVANT_RANK, sparse=None)
    assert _ids(distinct_articles_first([_p("a1"), _p("a2"), strong], 2)) == ["a1", "b1", "a2"]


def test_too_few_articles_fill_the_top_k_in_rank_order() -> None:
    pool = [_p("a1"), _p("a2"), _p("b1"), _p("a3")]
    assert _ids(distinct_articles_first(pool, 3)) == ["a1", "b1", "a2", "a3"]


# --- newest first -------------------------------------------------------------------------


def test_latest_puts_the_newest_relevant_article_first() -> None:
    # The superseded report ranks first (it repeats the question's words); the newer one lower.
    old = [_p("a1", date(2017, 3, 28)), _p("a2", date(2017, 3, 28))]
    newer = _p("b1", date(2017, 3, 30), dense=9, sparse=None)
    oldest = _p("c1", date(2017, 2, 24))
    got = newest_first([*old, oldest, newer], 2)
    assert _ids(got) == ["b1", "a1", "a2", "c1"]


def test_latest_ignores_newer_articles_below_the_floor_and_puts_undated_last() -> None:
    old = _p("a1", date(2017, 3, 1))
    weak_new = _p("b1", date(2017, 3, 30), dense=None, sparse=RELEVANT_RANK + 5)
    undated = _p("c1", None)
    newish = _p("d1", date(2017, 3, 15))
    got = newest_first([old, weak_new, undated, newish], 3)
    assert _ids(got) == ["d1", "a1", "c1", "b1"]


def test_latest_takes_the_newest_articles_that_are_about_the_story() -> None:
    # The newest article clears the floor on the story's words but is not about the suspect.
    held = _p("a1", date(2017, 3, 3), text="Ri Jong Chol is released and will be deported.")
    deported = _p("b1", date(2017, 3, 4), dense=7, sparse=None, text="Ri Jong Chol left.")
    spat = _p("c1", date(2017, 3, 30), text="Malaysia and North Korea end their spat.")
    pool = [held, spat, deported]
    named = Subject.of("Is Ri Jong-chol still in custody?")
    got = newest_first(pool, 2, lambda p: named.named_in(p.chunk.text))
    assert _ids(got) == ["b1", "a1", "c1"]
    # Without the names the newest relevant article wins, whatever it is about.
    assert _ids(newest_first(pool, 2)) == ["c1", "b1", "a1"]


def test_latest_falls_back_to_relevance_when_no_passage_names_the_story() -> None:
    pool = [_p("a1", date(2017, 3, 3)), _p("b1", date(2017, 3, 30))]
    assert _ids(newest_first(pool, 2, lambda p: False)) == ["b1", "a1"]
    # A passage below the floor does not count as naming it.
    weak = _p("c1", date(2017, 3, 31), dense=None, sparse=RELEVANT_RANK + 1)
    assert _ids(newest_first([*pool, weak], 2, lambda p: p is weak)) == ["b1", "a1", "c1"]


def test_one_days_articles_keep_their_rank_order() -> None:
    day = date(2017, 3, 30)
    got = newest_first([_p("a1", day), _p("b1", day), _p("c1", date(2017, 3, 1))], 3)
    assert _ids(got) == ["a1", "b1", "c1"]


# --- reports of the day an event is dated ------------------------------------------------


def test_reports_of_the_named_day_or_the_next_come_first() -> None:
    day = date(2017, 3, 13)
    later = _p("a1", date(2017, 3, 25))  # looks back at the story, ranks first
    same_day = _p("b1", day, dense=8, sparse=None)
    next_day = _p("c1", date(2017, 3, 14), dense=None, sparse=9)
    got = reports_of_first([later, _p("a2", date(2017, 3, 25)), same_day, next_day], 3, [day])
    assert _ids(got) == ["b1", "c1", "a1", "a2"]


def test_a_later_passage_that_names_the_day_counts_and_the_floor_holds() -> None:
    day = date(2017, 3, 13)
    chunk = Chunk("a1", "a", "a.txt", "a", date(2017, 3, 28), 0, 1, "x", "x", (day,))
    names_it = Passage(chunk, 1.0, dense_rank=5, sparse_rank=None)
    weak = _p("b1", day, dense=None, sparse=RELEVANT_RANK + 3)
    got = reports_of_first([_p("c1", date(2017, 2, 1)), weak, names_it], 3, [day])
    assert _ids(got) == ["a1", "c1", "b1"]


def test_an_explicit_day_that_is_no_scope_is_kept_as_the_events_day() -> None:
    scope = TimeScope.of("What did Turkey say on 13 March 2017?", MAR_30_2017)
    assert scope.period is None and scope.days == (date(2017, 3, 13),)
    # Relative days and scopes are not.
    assert TimeScope.of("What did he say on Wednesday?", MAR_30_2017).days == ()
    assert TimeScope.of("What happened in March 2017?", MAR_30_2017).days == ()


# --- "still" asks for the latest ----------------------------------------------------------


def test_still_in_a_present_yes_no_question_asks_for_the_latest() -> None:
    for question in (
        "Is Ri Jong-chol, the North Korean suspect, still in custody?",
        "Are the nine Malaysians still stuck there?",
        "What is known about the body: is it still in Malaysia?",
    ):
        scope = TimeScope.of(question, MAR_30_2017)
        assert scope.latest, question
        assert "still" not in scope.stripped, question


def test_still_in_a_reported_past_state_is_no_latest_question() -> None:
    question = "Who is the minister who said the body was still in Kuala Lumpur?"
    assert not TimeScope.of(question, MAR_30_2017).latest


# --- the shared scoped retrieval ----------------------------------------------------------


class FakeRetrieve:
    """A fixed ranking, filtered by publication date like the real retriever."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.calls: list[tuple[int, Filters]] = []

    def __call__(self, query: str, k: int, filters: Filters | None) -> list[Passage]:
        filters = filters or Filters()
        self.calls.append((k, filters))
        return [
            p
            for p in self.passages
            if p.chunk.date is not None
            and (filters.date_from is None or p.chunk.date >= filters.date_from)
            and (filters.date_to is None or p.chunk.date <= filters.date_to)
        ][:k]


def test_scoped_retrieval_orders_a_latest_question_newest_first() -> None:
    ranking = [
        _p("a1", date(2017, 3, 28)),
        _p("a2", date(2017, 3, 28)),
        _p("b1", date(2017, 3, 30), dense=5, sparse=None),
    ]
    retrieve = FakeRetrieve(ranking)
    latest = retrieve_scoped(retrieve, "What is the latest on the body?", MAR_30_2017, 2, 16)
    assert latest.scope.latest
    assert _ids(latest.passages) == ["b1", "a1", "a2"]
    # The pool is retrieved at its size, not the top-k's.
    assert retrieve.calls[0][0] == 16
    plain = retrieve_scoped(FakeRetrieve(ranking), "Where is the body?", MAR_30_2017, 2, 16)
    assert _ids(plain.passages) == ["a1", "b1", "a2"]  # distinct articles, rank order


def test_scoped_retrieval_of_a_latest_question_keeps_to_the_questions_names() -> None:
    ranking = [
        _p("a1", date(2017, 3, 3), text="Ri Jong Chol, held since February, is released."),
        _p("b1", date(2017, 3, 30), text="Malaysia lifts its travel ban on North Koreans."),
    ]
    got = retrieve_scoped(FakeRetrieve(ranking), "Is Ri Jong-chol still held?", None, 1, 16)
    assert _ids(got.passages) == ["a1", "b1"]


def test_scoped_retrieval_prefers_reports_of_the_day_an_event_is_dated() -> None:
    ranking = [_p("a1", date(2017, 3, 25)), _p("b1", date(2017, 3, 13), dense=4, sparse=None)]
    got = retrieve_scoped(FakeRetrieve(ranking), "What did he say on 13 March 2017?", None, 1, 16)
    assert _ids(got.passages) == ["b1", "a1"]


def test_scoped_retrieval_applies_the_questions_period_and_as_of() -> None:
    ranking = [_p("a1", date(2017, 2, 10)), _p("b1", date(2017, 3, 10))]
    in_feb = retrieve_scoped(FakeRetrieve(ranking), "What happened in February 2017?", None, 3, 3)
    assert _ids(in_feb.passages) == ["a1"]
    capped = retrieve_scoped(FakeRetrieve(ranking), "What happened?", None, 3, 3, None,
                             date(2017, 3, 1))  # fmt: skip
    assert capped.filters == Filters(date_to=date(2017, 3, 1))
    assert _ids(capped.passages) == ["a1"]
