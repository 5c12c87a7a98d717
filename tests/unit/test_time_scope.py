"""Time phrases in questions become date ranges, counted from a fixed reference, never today."""

from __future__ import annotations

from datetime import date

import pytest

from rag.retrieval.scoped import bounded, mentions, retrieve_in_scope
from rag.text.time_phrases import DateRange, TimeScope
from rag.types import Chunk, Filters, Passage

MAR_20_2017 = date(2017, 3, 20)  # a Monday: the newest article of the test archive


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("How many seats did the DUP win in March 2017?", date(2017, 3, 1), date(2017, 3, 31)),
        # A month alone is the latest such month not after the reference date.
        ("What did May say in February?", date(2017, 2, 1), date(2017, 2, 28)),
        ("What did May say in March?", date(2017, 3, 1), date(2017, 3, 31)),
        ("What did Obama say in April?", date(2016, 4, 1), date(2016, 4, 30)),
        ("What did Trump say last week?", date(2017, 3, 13), date(2017, 3, 19)),
        ("Who resigned this week?", date(2017, 3, 20), date(2017, 3, 20)),
        ("Who resigned last month?", date(2017, 2, 1), date(2017, 2, 28)),
        ("Who resigned this month?", date(2017, 3, 1), date(2017, 3, 20)),
        ("Who won last year?", date(2016, 1, 1), date(2016, 12, 31)),
        ("What happened yesterday in Aleppo?", date(2017, 3, 19), date(2017, 3, 19)),
        ("Who won the vote in 2016?", date(2016, 1, 1), date(2016, 12, 31)),
        ("What has happened since January?", date(2017, 1, 1), None),
        ("What was agreed before 1 March 2017?", None, date(2017, 2, 28)),
        ("What was agreed after February 2017?", date(2017, 3, 1), None),
        ("What changed between 1 January 2017 and 15 February 2017?", date(2017, 1, 1),
         date(2017, 2, 15)),
    ],
)  # fmt: skip
def test_periods(question: str, start: date | None, end: date | None) -> None:
    scope = TimeScope.of(question, MAR_20_2017)
    assert scope.period == DateRange(start, end)
    assert scope.reference == MAR_20_2017


@pytest.mark.parametrize(
    "question",
    [
        # Dates that name the event asked about, not a period to search.
        "On what date did Xi and Putin meet on the sidelines of the SCO summit in Astana?",
        "When did Putin last visit China before the October 2023 Belt and Road forum?",
        "Who won the March 2017 election?",
        "What did he say on Wednesday?",
        "What happened on 3 March 2017?",
        "During Putin's 2024 state visit, what was signed?",
        # "before the election" has no date to resolve: left alone.
        "What did the polls say before the election?",
    ],
)
def test_no_period(question: str) -> None:
    assert TimeScope.of(question, MAR_20_2017).period is None


def test_relative_phrases_need_a_reference() -> None:
    """Without as_of or a dated article there is nothing to count back from: no guess."""
    assert TimeScope.of("What did Trump say last week?", None).period is None
    assert TimeScope.of("What did May say in February?", None).period is None
    # An explicit month and year needs none.
    assert TimeScope.of("Who won in March 2017?", None).period == DateRange(
        date(2017, 3, 1), date(2017, 3, 31)
    )


def test_request_as_of_anchors_relative_phrases() -> None:
    scope = TimeScope.of("What did Trump say last week?", MAR_20_2017, as_of=date(2017, 2, 8))
    assert scope.as_of == date(2017, 2, 8)
    assert scope.period == DateRange(date(2017, 1, 30), date(2017, 2, 5))


def test_as_of_in_the_question() -> None:
    scope = TimeScope.of("As of 1 March 2017, how many seats had the DUP won?", MAR_20_2017)
    assert scope.as_of == date(2017, 3, 1)
    assert scope.period is None
    assert scope.stripped == "how many seats had the DUP won?"
    # The request's as_of wins over the question's.
    other = TimeScope.of("As of 1 March 2017, how many?", MAR_20_2017, as_of=date(2017, 2, 1))
    assert other.as_of == date(2017, 2, 1)


@pytest.mark.parametrize(
    "question",
    [
        "What is the latest count of seats?",
        "How many people have died so far?",
        "What is the most recent figure?",
        "Who is the newest member?",
        "How many troops are currently deployed?",
    ],
)
def test_latest(question: str) -> None:
    scope = TimeScope.of(question, MAR_20_2017)
    assert scope.latest
    assert scope.period is None


def test_not_latest() -> None:
    assert not TimeScope.of("How many seats did the DUP win?", MAR_20_2017).latest


def test_stripped_leaves_out_the_time_phrases() -> None:
    scope = TimeScope.of("What is the latest seat count in March 2017?", MAR_20_2017)
    assert scope.stripped == "What is the seat count?"
    assert TimeScope.of("Who won?", MAR_20_2017).stripped == "Who won?"


def test_conflicting_phrases_drop_the_period() -> None:
    scope = TimeScope.of("Which summit did he skip in 2023, and what role in 2024?", MAR_20_2017)
    assert scope.period is None
    assert not scope.found
    assert scope.stripped == scope.question


def test_bounded_caps_publication_at_as_of() -> None:
    assert bounded(None, date(2017, 3, 1)) == Filters(date_to=date(2017, 3, 1))
    earlier = Filters(date_to=date(2017, 2, 1))
    assert bounded(earlier, date(2017, 3, 1)) == earlier
    assert bounded(Filters(("a.txt",)), None) == Filters(("a.txt",))


def _passage(chunk_id: str, published: date | None, mentions: tuple[date, ...] = ()) -> Passage:
    chunk = Chunk(chunk_id, chunk_id, f"{chunk_id}.txt", "t", published, 0, 1, "x", "x", mentions)
    return Passage(chunk, 1.0)


class FakeRetrieve:
    """Applies publication-date filters like the real retriever; records every call."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.calls: list[Filters] = []

    def __call__(self, query: str, k: int, filters: Filters | None) -> list[Passage]:
        filters = filters or Filters()
        self.calls.append(filters)
        period = DateRange(filters.date_from, filters.date_to)
        bounded = filters.date_from or filters.date_to  # undated articles match no range
        return [
            p
            for p in self.passages
            if (p.chunk.date is None and not bounded)
            or (p.chunk.date is not None and period.contains(p.chunk.date))
        ][:k]


def test_scope_keeps_articles_published_in_it_or_mentioning_it() -> None:
    feb = _passage("feb", date(2017, 2, 20))
    mar = _passage("mar", date(2017, 3, 16))
    # Published in April about March: a date in the period counts.
    apr_about_mar = _passage("apr", date(2017, 4, 2), (date(2017, 3, 30),))
    retrieve = FakeRetrieve([feb, mar, apr_about_mar])
    march = DateRange(date(2017, 3, 1), date(2017, 3, 31))
    got = retrieve_in_scope(retrieve, "q", 5, Filters(), march)
    assert {p.chunk.chunk_id for p in got} == {"mar", "apr"}


def test_request_dates_always_hold_and_intersect_the_scope() -> None:
    mar = _passage("mar", date(2017, 3, 16))
    apr_about_mar = _passage("apr", date(2017, 4, 2), (date(2017, 3, 30),))
    retrieve = FakeRetrieve([mar, apr_about_mar])
    march = DateRange(date(2017, 3, 1), date(2017, 3, 31))
    april_on = Filters(date_from=date(2017, 4, 1))
    got = retrieve_in_scope(retrieve, "q", 5, april_on, march)
    # No March article is in the request's range; the April one that mentions March is.
    assert [p.chunk.chunk_id for p in got] == ["apr"]
    assert all(f.date_from == date(2017, 4, 1) for f in retrieve.calls)


def test_no_scope_is_one_plain_search() -> None:
    retrieve = FakeRetrieve([_passage("mar", date(2017, 3, 16))])
    assert len(retrieve_in_scope(retrieve, "q", 5, Filters(), None)) == 1
    assert retrieve.calls == [Filters()]


def test_undated_articles_stay_in_a_question_scope() -> None:
    undated = _passage("undated", None)
    feb = _passage("feb", date(2017, 2, 20))
    march = DateRange(date(2017, 3, 1), date(2017, 3, 31))
    got = retrieve_in_scope(FakeRetrieve([undated, feb]), "q", 5, Filters(), march)
    assert [p.chunk.chunk_id for p in got] == ["undated"]
    # The request's own date bounds are strict, as before.
    strict = Filters(date_from=date(2017, 1, 1))
    assert retrieve_in_scope(FakeRetrieve([undated, feb]), "q", 5, strict, march) == []


def _text_passage(text: str, published: date) -> Passage:
    chunk = Chunk("c", "d", "d.txt", "t", published, 0, len(text), text, text)
    return Passage(chunk, 1.0)


def test_mentions_a_time_inside_the_period() -> None:
    march = DateRange(date(2017, 3, 1), date(2017, 3, 31))
    october = date(2017, 10, 18)
    assert mentions(_text_passage("In March, the court issued a warrant.", october), march)
    assert mentions(_text_passage("He left on 30 March 2017.", october), march)
    # A whole year is no time inside one month of it; another month is not either.
    assert not mentions(_text_passage("Trade grew in 2017.", october), march)
    assert not mentions(_text_passage("In August, he skipped the summit.", october), march)
