"""Date expressions in news text: explicit dates found, relative ones resolved and annotated."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise

import pytest

from rag.text.dates import DateMention, annotate, find_dates, format_day

JUL_4_2024 = date(2024, 7, 4)  # a Thursday
MAY_17_2024 = date(2024, 5, 17)  # a Friday
OCT_18_2023 = date(2023, 10, 18)  # a Wednesday


def only(text: str, anchor: date | None) -> DateMention:
    mentions = find_dates(text, anchor)
    assert len(mentions) == 1, mentions
    return mentions[0]


# --- the brief's examples -------------------------------------------------------------------


def test_on_wednesday_resolves_to_the_day_before_a_thursday_article() -> None:
    text = "President Xi Jinping called on Wednesday for China"
    mention = only(text, JUL_4_2024)
    assert mention == DateMention(28, 40, "on Wednesday", date(2024, 7, 3), "day", True)
    assert text[mention.start : mention.end] == mention.text
    assert (
        annotate(text, [mention])
        == "President Xi Jinping called on Wednesday [3 July 2024] for China"
    )


@pytest.mark.parametrize(
    ("text", "anchor", "expected_text", "expected"),
    [
        # A future cue makes it the coming day, the anchor itself allowed.
        (
            "As the SCO Astana summit is to be held on Thursday, Xi said",
            JUL_4_2024,
            "on Thursday",
            date(2024, 7, 4),
        ),
        (
            "during their meeting in Beijing on Thursday.",
            MAY_17_2024,
            "on Thursday",
            date(2024, 5, 16),
        ),
        # A bare weekday equal to the anchor's is the anchor day itself.
        ("Chinese state media reported Wednesday", OCT_18_2023, "Wednesday", OCT_18_2023),
        ("Putin's trip this week to Beijing", OCT_18_2023, "this week", date(2023, 10, 16)),
    ],
)
def test_relative_days(text: str, anchor: date, expected_text: str, expected: date) -> None:
    mention = only(text, anchor)
    assert (mention.text, mention.value, mention.granularity) == (expected_text, expected, "day")
    assert mention.relative


def test_last_year_is_a_year_and_annotated_as_one() -> None:
    text = "reaching up to $190 billion last year"
    mention = only(text, OCT_18_2023)
    assert (mention.text, mention.value, mention.granularity) == (
        "last year",
        date(2022, 1, 1),
        "year",
    )
    assert mention.relative
    assert annotate(text, [mention]) == "reaching up to $190 billion last year [2022]"


def test_next_year() -> None:
    mention = only("next year marks the 75th anniversary", OCT_18_2023)
    assert (mention.value, mention.granularity) == (date(2024, 1, 1), "year")
    assert mention.relative


def test_weekday_inside_an_explicit_date_is_not_a_separate_mention() -> None:
    mention = only("Putin landed on Tuesday, October 17, in Beijing", OCT_18_2023)
    assert mention.text == "Tuesday, October 17"
    assert (mention.value, mention.granularity, mention.relative) == (
        date(2023, 10, 17),
        "day",
        False,
    )


@pytest.mark.parametrize(
    ("text", "expected_text", "expected"),
    [
        ("Wednesday, October 18, 2023.", "Wednesday, October 18, 2023", date(2023, 10, 18)),
        ("09:32, July 04, 2024 By Cao", "July 04, 2024", date(2024, 7, 4)),
        ("on 3 July 2024 in Astana", "3 July 2024", date(2024, 7, 3)),
        ("on July 3, 2024 in Astana", "July 3, 2024", date(2024, 7, 3)),
        ("on July 3 2024 in Astana", "July 3 2024", date(2024, 7, 3)),
        ("published 2024-07-03 at noon", "2024-07-03", date(2024, 7, 3)),
        ("published 2024-07-03T09:32", "2024-07-03", date(2024, 7, 3)),
        ("signed on Sept. 5, 2023 in", "Sept. 5, 2023", date(2023, 9, 5)),
        ("the treaty of 4th of July 1998", "4th of July 1998", date(1998, 7, 4)),
    ],
)
def test_explicit_days_with_a_year_need_no_anchor(
    text: str, expected_text: str, expected: date
) -> None:
    for anchor in (None, JUL_4_2024):
        mention = only(text, anchor)
        assert (mention.text, mention.value) == (expected_text, expected)
        assert (mention.granularity, mention.relative) == ("day", False)
        assert text[mention.start : mention.end] == expected_text


def test_day_month_range_gives_two_explicit_days_in_the_anchor_year() -> None:
    mentions = find_dates("Blinken was in China for 24th April to 26th April.", MAY_17_2024)
    assert [(m.text, m.value, m.relative) for m in mentions] == [
        ("24th April", date(2024, 4, 24), False),
        ("26th April", date(2024, 4, 26), False),
    ]


def test_month_alone_after_in_takes_the_anchor_year() -> None:
    mention = only("Their previous meeting took place in May when", JUL_4_2024)
    assert (mention.text, mention.value, mention.granularity) == ("May", date(2024, 5, 1), "month")
    assert not mention.relative


def test_month_after_the_anchor_month_is_last_year() -> None:
    mention = only("In October, the council met", JUL_4_2024)
    assert (mention.value, mention.granularity) == (date(2023, 10, 1), "month")


def test_no_anchor_skips_relative_but_keeps_explicit() -> None:
    assert find_dates("on Wednesday", None) == []
    assert find_dates("last year and next week", None) == []
    assert find_dates("Tuesday, October 17", None) == []  # no year and nothing to take it from
    assert [m.value for m in find_dates("July 3, 2024", None)] == [date(2024, 7, 3)]


@pytest.mark.parametrize(
    "text",
    [
        "an additional $100 billion in loans",
        "met 42 times in the past 10 years",
        "the 24th Meeting of the Council",
        "You may go",
        "May I ask a question?",
        "an extra $2024 billion",
        "2024 delegates attended",
        "a total of 2000 people",
        "a march on the capital",
        "They meet on Mondays",
        "shoppers on Black Friday",
        "a report in the Mail on Sunday",
        "the Sunday Times reported",
        "according to USA Today",
        "over the last year prices rose",
        "on February 30, 2024",
        "at 10:30 and 2024-13-45",
    ],
)
def test_not_dates(text: str) -> None:
    assert find_dates(text, JUL_4_2024) == []


# --- weekday rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Anchor is Thursday 4 July 2024.
        ("said on Monday", date(2024, 7, 1)),
        ("said Thursday", date(2024, 7, 4)),
        ("said on Friday", date(2024, 6, 28)),
        ("the vote will take place on Friday", date(2024, 7, 5)),
        ("the summit is scheduled for Monday", date(2024, 7, 8)),
        ("the upcoming talks on Thursday", date(2024, 7, 4)),
        ("“We’ll meet on Saturday,” he said", date(2024, 7, 6)),
        ("last Thursday", date(2024, 6, 27)),
        ("last Wednesday", date(2024, 7, 3)),
        ("next Thursday", date(2024, 7, 11)),
        ("next Friday", date(2024, 7, 5)),
        ("this Monday", date(2024, 7, 1)),
        ("this Sunday", date(2024, 7, 7)),
        ("On Tuesday, the minister said", date(2024, 7, 2)),
        ("Last Tuesday the minister said", date(2024, 7, 2)),
    ],
)
def test_weekday_resolution(text: str, expected: date) -> None:
    mention = only(text, JUL_4_2024)
    assert mention.value == expected
    assert (mention.granularity, mention.relative) == ("day", True)


def test_future_cue_in_an_earlier_sentence_does_not_count() -> None:
    mention = only("Talks will resume. On Friday he said", JUL_4_2024)
    assert mention.value == date(2024, 6, 28)


def test_future_cue_further_than_40_characters_back_does_not_count() -> None:
    text = "The ministers will, according to several officials in Beijing, speak on Friday"
    assert only(text, JUL_4_2024).value == date(2024, 6, 28)


def test_capitalised_will_as_a_name_is_no_future_cue() -> None:
    assert only("Will Smith spoke on Friday", JUL_4_2024).value == date(2024, 6, 28)


# --- other relative expressions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "granularity", "label"),
    [
        ("said today", JUL_4_2024, "day", "4 July 2024"),
        ("Today, Xi said", JUL_4_2024, "day", "4 July 2024"),
        ("said yesterday", date(2024, 7, 3), "day", "3 July 2024"),
        ("will meet tomorrow", date(2024, 7, 5), "day", "5 July 2024"),
        ("met last week", date(2024, 6, 24), "day", "week of 24 June 2024"),
        ("meets next week", date(2024, 7, 8), "day", "week of 8 July 2024"),
        ("met last month", date(2024, 6, 1), "month", "June 2024"),
        ("this month", date(2024, 7, 1), "month", "July 2024"),
        ("next month", date(2024, 8, 1), "month", "August 2024"),
        ("this year", date(2024, 1, 1), "year", "2024"),
        ("since last May", date(2024, 5, 1), "month", "May 2024"),
        ("until next May", date(2025, 5, 1), "month", "May 2025"),
    ],
)
def test_relative_expressions_and_their_labels(
    text: str, expected: date, granularity: str, label: str
) -> None:
    mention = only(text, JUL_4_2024)
    assert (mention.value, mention.granularity, mention.relative) == (expected, granularity, True)
    annotated = annotate(text, [mention])
    assert annotated == text[: mention.end] + f" [{label}]" + text[mention.end :]


def test_month_arithmetic_wraps_the_year() -> None:
    assert only("last month", date(2024, 1, 15)).value == date(2023, 12, 1)
    assert only("next month", date(2023, 12, 31)).value == date(2024, 1, 1)
    assert only("last week", date(2024, 1, 3)).value == date(2023, 12, 25)


# --- explicit months and years --------------------------------------------------------------


def test_month_and_year() -> None:
    mention = only("since his invasion of Ukraine in February 2022, and", None)
    assert (mention.text, mention.value, mention.granularity) == (
        "February 2022",
        date(2022, 2, 1),
        "month",
    )


@pytest.mark.parametrize(
    ("text", "year"),
    [("in 2022 the trade grew", 2022), ("ties since 1949.", 1949), ("by 2030,", 2030)],
)
def test_year_after_a_time_word(text: str, year: int) -> None:
    mention = only(text, None)
    assert (mention.text, mention.value, mention.granularity) == (
        str(year),
        date(year, 1, 1),
        "year",
    )
    assert not mention.relative


def test_missing_year_follows_a_weekday_that_only_fits_the_previous_year() -> None:
    mention = only("on Friday, December 29, officials said", date(2024, 1, 2))
    assert mention.value == date(2023, 12, 29)


# --- find_dates / annotate contracts --------------------------------------------------------


def test_mentions_are_sorted_non_overlapping_and_match_the_text() -> None:
    text = (
        "“Last year,” Xi said on Wednesday, October 18, 2023 — and in May — “we met 42 times”; "
        "Putin arrived this Tuesday and leaves tomorrow, before talks next month in Astana."
    )
    mentions = find_dates(text, OCT_18_2023)
    assert [m.text for m in mentions] == [
        "Last year",
        "Wednesday, October 18, 2023",
        "May",
        "this Tuesday",
        "tomorrow",
        "next month",
    ]
    for previous, current in pairwise(mentions):
        assert previous.end <= current.start
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text
    assert annotate(text, mentions) == (
        "“Last year [2022],” Xi said on Wednesday, October 18, 2023 — and in May — "
        "“we met 42 times”; Putin arrived this Tuesday [17 October 2023] and leaves tomorrow "
        "[19 October 2023], before talks next month [November 2023] in Astana."
    )


def test_annotate_leaves_explicit_dates_alone_and_is_idempotent() -> None:
    text = "On July 3, 2024 and on Wednesday"
    mentions = find_dates(text, JUL_4_2024)
    once = annotate(text, mentions)
    assert once == "On July 3, 2024 and on Wednesday [3 July 2024]"
    assert annotate(once, mentions) == once


def test_annotate_accepts_unsorted_mentions_and_rejects_stale_offsets() -> None:
    text = "yesterday and today"
    mentions = find_dates(text, JUL_4_2024)
    assert annotate(text, list(reversed(mentions))) == (
        "yesterday [3 July 2024] and today [4 July 2024]"
    )
    with pytest.raises(ValueError, match="does not match"):
        annotate("x" + text, mentions)


def test_datetime_anchor_gives_plain_dates() -> None:
    mention = only("on Wednesday", datetime(2024, 7, 4, 9, 32))
    assert type(mention.value) is date
    assert mention.value == date(2024, 7, 3)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2024, 7, 3), "3 July 2024"), (date(2023, 12, 31), "31 December 2023")],
)
def test_format_day(day: date, expected: str) -> None:
    assert format_day(day) == expected


# --- counted back and weekends ----------------------------------------------------------------

SAT = date(2017, 2, 25)  # a Saturday
MON = date(2017, 2, 27)


@pytest.mark.parametrize(
    ("text", "anchor", "expected", "label"),
    [
        ("Talks ended two days ago in Geneva.", SAT, date(2017, 2, 23), "23 February 2017"),
        ("He resigned a week ago.", SAT, date(2017, 2, 18), "18 February 2017"),
        ("The vote was held 3 weeks ago.", SAT, date(2017, 2, 4), "4 February 2017"),
        ("The deal was signed six months ago.", SAT, date(2016, 8, 1), "August 2016"),
        ("Riots over the weekend.", MON, date(2017, 2, 25), "weekend of 25-26 February 2017"),
        # A Saturday paper's weekend is the one under way.
        ("Riots over the weekend.", SAT, date(2017, 2, 25), "weekend of 25-26 February 2017"),
        ("Talks will resume at the weekend.", MON, date(2017, 3, 4), "weekend of 4-5 March 2017"),
        ("Crowds gathered last weekend.", SAT, date(2017, 2, 18), "weekend of 18-19 February 2017"),
    ],
)  # fmt: skip
def test_counted_back_and_weekends_resolve_against_the_article_date(
    text: str, anchor: date, expected: date, label: str
) -> None:
    mention = only(text, anchor)
    assert mention.value == expected and mention.relative
    assert f"{mention.text} [{label}]" in annotate(text, [mention])


@pytest.mark.parametrize(
    "text", ["a few days ago", "more than two weeks ago", "about a week ago", "3 weeks earlier"]
)
def test_approximate_counts_back_are_left_alone(text: str) -> None:
    assert find_dates(text, SAT) == []
