"""Find date expressions in news text and resolve the relative ones against the article's date.

News prose says "on Wednesday", "last year" or "this week". A small LLM reading a chunk has no
reliable way to turn those into calendar dates (it rarely even notices the publication date), so
at ingest time we resolve them here, in code, and `annotate` shows the model the absolute date
inline: "called on Wednesday [3 July 2024] for ...".

Everything is regular expressions plus a few context checks. The guiding rule is to be
conservative: a missed date only costs the model a hint, while a wrong one feeds it a confident
falsehood that it will repeat.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

__all__ = [
    "CALENDAR_WORDS",
    "MONTHS",
    "WEEKDAYS",
    "DateMention",
    "Granularity",
    "annotate",
    "annotate_implied",
    "find_dates",
    "format_day",
    "mention_period",
    "month_names",
    "names_a_day",
    "normalise_days",
]

Granularity = Literal["day", "month", "year"]


@dataclass(frozen=True)
class DateMention:
    """One date expression found in a text, with the calendar date it stands for."""

    start: int  # character offsets of the expression in the text
    end: int
    text: str  # the expression as written, e.g. "on Wednesday", "Tuesday, October 17"
    value: date  # the day; for a month the 1st of it, for a year January 1
    granularity: Granularity
    relative: bool  # True when resolved from a relative expression, False for explicit dates


def format_day(d: date) -> str:
    """'3 July 2024': day-month-year is unambiguous to the model, unlike 07/03/2024."""
    # Not strftime("%B"): month names from strftime follow the process locale.
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def find_dates(text: str, anchor: date | None) -> list[DateMention]:
    """All date expressions in text, sorted by start, non-overlapping (prefer the longest match).

    `anchor` is the article's publication date. Without it relative expressions are skipped
    (guessing would be worse than saying nothing), and so are explicit dates lacking a year.
    """
    if isinstance(anchor, datetime):
        # datetime is a date subclass; its arithmetic would leak datetimes into `value`.
        anchor = anchor.date()
    candidates: list[DateMention] = []
    for pattern, resolve in _RULES:
        for match in pattern.finditer(text):
            mention = resolve(match, anchor)
            if mention is not None:
                candidates.append(mention)
    return _longest_non_overlapping(candidates)


def annotate(text: str, mentions: Sequence[DateMention]) -> str:
    """Text with ' [3 July 2024]' inserted right after each relative mention.

    Explicit dates are left alone: the model can read "July 3, 2024" already, and every bracket
    costs context and risks distracting it.
    """
    pieces: list[str] = []
    cursor = 0
    for mention in sorted((m for m in mentions if m.relative), key=lambda m: m.start):
        if text[mention.start : mention.end] != mention.text:
            # Offsets from another text (or an unshifted chunk) would splice brackets into the
            # middle of words; fail loudly instead.
            raise ValueError(
                f"mention {mention.text!r} does not match text[{mention.start}:{mention.end}]"
            )
        if mention.start < cursor:
            raise ValueError(f"mention {mention.text!r} at {mention.start} overlaps another")
        note = f" [{_label(mention)}]"
        pieces.append(text[cursor : mention.end])
        # Re-annotating already annotated text must not stack "[...] [...]".
        if not text.startswith(note, mention.end):
            pieces.append(note)
        cursor = mention.end
    pieces.append(text[cursor:])
    return "".join(pieces)


# --- vocabulary -------------------------------------------------------------------------------

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Capitalised for the calendar, not because they name something: a question about "Wednesday"
# may be answered by a passage that says "3 July 2024".
CALENDAR_WORDS = frozenset(w.lower() for w in (*MONTHS, *WEEKDAYS))
_MONTH_ABBREVIATIONS = (
    "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
)  # fmt: skip


def _alternation(words: Sequence[str]) -> str:
    # Longest first, because the regex engine takes the first alternative that fits.
    return "|".join(sorted(words, key=len, reverse=True))


# Month and weekday names are matched case-sensitively, capitalised only: prose capitalises
# them, and the lower-case forms ("may", "march") are mostly ordinary words.
_MONTH = _alternation(MONTHS)
# Abbreviations only where a day number follows: alone, "Mar" or "Jan" is too often a name.
_MONTH_WITH_DAY = rf"(?:{_MONTH}|(?:{_alternation(_MONTH_ABBREVIATIONS)})\.?)"
_WEEKDAY = _alternation(WEEKDAYS)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?!\w|:\d)"
# A number that counts something ("in 2000 people") is not a year.
_NOT_A_QUANTITY = (
    r"(?!\s*(?:%|percent\b|per\s+cent\b|(?:hundred|thousand|million|billion|trillion)\b"
    r"|people\b|persons\b|troops\b|soldiers\b|units\b|tons\b|tonnes\b|km\b|miles\b"
    r"|dollars\b|yuan\b|rubles\b|roubles\b|euros\b|votes\b))"
)
# Not followed by more digits, a decimal or thousands part, or a range ("2022-23").
_YEAR_END = r"(?!\w|[.,:]\d|[-–/]\d)" + _NOT_A_QUANTITY
_YEAR_IN_DATE = rf"(?P<year>[12]\d{{3}}){_YEAR_END}"
_WEEKDAY_PREFIX = rf"(?:\b(?P<weekday>{_WEEKDAY}),?\s+)?"

_MONTH_DAY_YEAR = re.compile(
    rf"{_WEEKDAY_PREFIX}\b(?P<month>{_MONTH_WITH_DAY})\s+{_DAY}(?:,?\s+{_YEAR_IN_DATE})?"
)
_DAY_MONTH_YEAR = re.compile(
    rf"{_WEEKDAY_PREFIX}(?<![\w$€£¥.,]){_DAY}\s+(?:of\s+)?"
    rf"(?P<month>{_MONTH_WITH_DAY})(?!\w)(?:,?\s+{_YEAR_IN_DATE})?"
)
_ISO_DATE = re.compile(r"(?<![\w-])(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)(?!\d|-\d)")
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\s+{_YEAR_IN_DATE}")
# A month alone only after a word that makes it a time ("in May", "since March"): "May" is
# also a verb at a sentence start and a surname, "March" a noun, "April" a first name.
_MONTH_ALONE = re.compile(
    r"(?:\b(?i:in|on|of|since|until|till|by|during|from|to|through|before|after|early|late)\s+"
    rf"|\b(?i:mid)-)(?P<month>{_MONTH})(?!\w|\s+\d)"
)
_MONTH_RELATIVE = re.compile(rf"\b(?P<mod>(?i:last|next|this))\s+(?P<month>{_MONTH})(?!\w|\s+\d)")
# A bare year only after a word that makes it a time; "$2024 billion" or "2024 delegates" are
# amounts, and a wrong year is worse than none.
_YEAR_ALONE = re.compile(
    r"(?:\b(?i:in|since|by|of|year|until|till|before|after|from|during|through|early|late)\s+"
    rf"|\b(?i:mid)-)(?P<year>19\d\d|20\d\d|2100){_YEAR_END}"
)
_WEEKDAY_RELATIVE = re.compile(
    rf"(?:\b(?P<mod>(?i:on|last|this|next|past))\s+)?\b(?P<weekday>{_WEEKDAY})(?!\w)"
)
_DAY_WORD = re.compile(
    r"\b(?P<word>(?i:today|tonight|yesterday|tomorrow|this\s+(?:morning|afternoon|evening)"
    r"|last\s+night))(?!\w)"
)
_PERIOD_RELATIVE = re.compile(
    r"\b(?P<mod>(?i:this|last|next))\s+(?P<unit>(?i:week|month|year))(?!\w)"
)
_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
# "two days ago", "a week ago", "3 months ago"; "a few days ago" has no number to count back.
_AGO = re.compile(
    rf"\b(?P<count>(?i:{_alternation(list(_COUNTS))})|[1-9]\d?)\s+"
    r"(?P<unit>(?i:day|week|month|year))s?\s+(?i:ago)(?!\w)"
)
# Words before "two days ago" that make it approximate: a date in brackets would not be.
_APPROXIMATE = frozenset({"than", "over", "some", "nearly", "almost", "about", "around"})
_APPROXIMATE |= {"roughly", "approximately", "barely", "just", "only", "few"}
_WEEKEND = re.compile(
    r"\b(?P<mod>(?i:over|at|during|on|this|last|next|past))\s+(?:(?i:the)\s+)?"
    r"(?P<unit>(?i:weekend))(?!\w)"
)

# Words before "last year"/"next Monday" that turn it into a span or a description:
# "over the last year" is the past twelve months, "the next Monday" any later Monday.
# Not "that": in news it is mostly the conjunction ("said that next year marks ...").
_DETERMINERS = frozenset(
    {"the", "a", "an", "these", "those", "its", "his", "her", "their", "our", "my", "your"}
    | {"every", "each", "whole", "entire"}
)
# Named days that are not "the most recent Friday": "Black Friday", "Mail on Sunday".
_WEEKDAY_NAME_BEFORE = frozenset(
    {"Ash", "Good", "Black", "Holy", "Maundy", "Easter", "Palm", "Super", "Cyber", "Bloody"}
    | {"Shrove", "Whit", "Blue", "Giving", "Mail", "every", "each", "Every", "Each"}
)
_WEEKDAY_NAME_AFTER = frozenset({"Times", "Telegraph", "Express", "Mirror", "Herald", "Post"})
# Spec'd future cues plus a few equivalents. Lower-case only for "will"/"shall": capitalised at
# a sentence start they open a question, and "Will" is also a first name.
_FUTURE_CUE = re.compile(
    r"\b(?:will|shall|is\s+to\s+be|are\s+to\s+be|is\s+due|are\s+due|[Ss]cheduled|[Nn]ext"
    r"|[Uu]pcoming|to\s+be\s+held|is\s+set\s+to|are\s+set\s+to|is\s+expected\s+to"
    r"|are\s+expected\s+to)\b|['’]ll\b"
)
_FUTURE_WINDOW = 40
_SENTENCE_BREAK = re.compile(r"[.!?][\"”’')\]]*\s+|\n")


# --- resolvers: one per pattern, each returns None to reject the match ----------------------

_Resolver = Callable[[re.Match[str], date | None], DateMention | None]


def _explicit_day(match: re.Match[str], anchor: date | None) -> DateMention | None:
    month = _month_number(match["month"])
    day = int(match["day"])
    weekday = match["weekday"]
    if match["year"] is not None:
        value = safe_date(int(match["year"]), month, day)
    elif anchor is None:
        return None  # "Tuesday, October 17" of an unknown year
    else:
        value = _year_for_weekday(anchor.year, month, day, weekday)
    if value is None:
        return None
    return _mention(match, 0, value, "day", relative=False)


def _iso_day(match: re.Match[str], anchor: date | None) -> DateMention | None:
    value = safe_date(int(match["year"]), int(match["month"]), int(match["day"]))
    return None if value is None else _mention(match, 0, value, "day", relative=False)


def _month_year(match: re.Match[str], anchor: date | None) -> DateMention | None:
    value = date(int(match["year"]), _month_number(match["month"]), 1)
    return _mention(match, 0, value, "month", relative=False)


def _month_alone(match: re.Match[str], anchor: date | None) -> DateMention | None:
    if anchor is None:
        return None
    month = _month_number(match["month"])
    # Past-leaning like weekdays: in a July article "in May" is this May, "in October" the last.
    year = anchor.year - 1 if month > anchor.month else anchor.year
    # The span is the month itself: "in" is context, not part of the date.
    return _mention(match, "month", date(year, month, 1), "month", relative=False)


def _month_relative(match: re.Match[str], anchor: date | None) -> DateMention | None:
    if anchor is None or _word_before(match.string, match.start()).lower() in _DETERMINERS:
        return None
    month = _month_number(match["month"])
    mod = match["mod"].lower()
    if mod == "this":
        year = anchor.year
    elif mod == "last":
        year = anchor.year if month < anchor.month else anchor.year - 1
    else:
        year = anchor.year if month > anchor.month else anchor.year + 1
    return _mention(match, 0, date(year, month, 1), "month", relative=True)


def _year_alone(match: re.Match[str], anchor: date | None) -> DateMention | None:
    return _mention(match, "year", date(int(match["year"]), 1, 1), "year", relative=False)


def _weekday_relative(match: re.Match[str], anchor: date | None) -> DateMention | None:
    if anchor is None:
        return None
    text = match.string
    before = _word_before(text, match.start())
    if before in _WEEKDAY_NAME_BEFORE or _word_after(text, match.end()) in _WEEKDAY_NAME_AFTER:
        return None
    mod = (match["mod"] or "").lower()
    if mod in ("last", "next", "this", "past") and before.lower() in _DETERMINERS:
        return None  # "the last Friday of the month"
    weekday = WEEKDAYS.index(match["weekday"])
    days_back = (anchor.weekday() - weekday) % 7  # 0 when the anchor is that weekday
    days_ahead = (weekday - anchor.weekday()) % 7
    if mod in ("last", "past"):
        value = anchor - timedelta(days=days_back or 7)
    elif mod == "next":
        value = anchor + timedelta(days=days_ahead or 7)
    elif mod == "this":
        value = anchor + timedelta(days=weekday - anchor.weekday())
    elif _future_cue_before(text, match.start()):
        value = anchor + timedelta(days=days_ahead)
    else:
        # News mostly reports what already happened, so a bare "Wednesday" is the latest one.
        value = anchor - timedelta(days=days_back)
    return _mention(match, 0, value, "day", relative=True)


def _day_word(match: re.Match[str], anchor: date | None) -> DateMention | None:
    if anchor is None:
        return None
    word = " ".join(match["word"].lower().split())
    if match["word"][0].isupper() and not _at_sentence_start(match.string, match.start()):
        return None  # "USA Today", "Russia Today": titles, not days
    offset = {"yesterday": -1, "last night": -1, "tomorrow": 1}.get(word, 0)
    return _mention(match, 0, anchor + timedelta(days=offset), "day", relative=True)


def _period_relative(match: re.Match[str], anchor: date | None) -> DateMention | None:
    if anchor is None or _word_before(match.string, match.start()).lower() in _DETERMINERS:
        return None
    step = {"this": 0, "last": -1, "next": 1}[match["mod"].lower()]
    unit = match["unit"].lower()
    if unit == "week":
        # A week has no name the model would know, so point at its Monday.
        monday = anchor - timedelta(days=anchor.weekday())
        return _mention(match, 0, monday + timedelta(weeks=step), "day", relative=True)
    if unit == "month":
        index = anchor.year * 12 + anchor.month - 1 + step
        value = date(index // 12, index % 12 + 1, 1)
        return _mention(match, 0, value, "month", relative=True)
    return _mention(match, 0, date(anchor.year + step, 1, 1), "year", relative=True)


def _ago(match: re.Match[str], anchor: date | None) -> DateMention | None:
    if anchor is None or _word_before(match.string, match.start()).lower() in _APPROXIMATE:
        return None
    count = match["count"].lower()
    n = _COUNTS[count] if count in _COUNTS else int(count)
    unit = match["unit"].lower()
    if unit in ("day", "week"):
        # Counted back from the article's own date: "two days ago" in a Saturday paper is
        # Thursday, "a week ago" the Saturday before.
        value = anchor - timedelta(days=n * (7 if unit == "week" else 1))
        return _mention(match, 0, value, "day", relative=True)
    if unit == "month":
        index = anchor.year * 12 + anchor.month - 1 - n
        return _mention(match, 0, date(index // 12, index % 12 + 1, 1), "month", relative=True)
    return _mention(match, 0, date(anchor.year - n, 1, 1), "year", relative=True)


def _weekend(match: re.Match[str], anchor: date | None) -> DateMention | None:
    """The weekend's Saturday: the latest one on or before the article's date, as news mostly
    reports what happened; the coming one after a future cue or "next"."""
    if anchor is None:
        return None
    mod = match["mod"].lower()
    days_back = (anchor.weekday() - 5) % 7  # 0 on a Saturday, 1 on a Sunday
    latest = anchor - timedelta(days=days_back)
    in_weekend = days_back <= 1
    if mod == "this":
        value = anchor + timedelta(days=5 - anchor.weekday())  # as "this Saturday" would be
    elif mod == "next" or (
        mod not in ("last", "past") and _future_cue_before(match.string, match.start())
    ):
        value = latest + timedelta(days=7) if not in_weekend or mod == "next" else latest
    elif mod in ("last", "past") and in_weekend:
        value = latest - timedelta(days=7)  # a Sunday paper's "last weekend" is the one before
    else:
        value = latest
    return _mention(match, 0, value, "day", relative=True)


# Order matters only between candidates with identical spans: explicit forms come first.
_RULES: tuple[tuple[re.Pattern[str], _Resolver], ...] = (
    (_MONTH_DAY_YEAR, _explicit_day),
    (_DAY_MONTH_YEAR, _explicit_day),
    (_ISO_DATE, _iso_day),
    (_MONTH_YEAR, _month_year),
    (_MONTH_ALONE, _month_alone),
    (_YEAR_ALONE, _year_alone),
    (_MONTH_RELATIVE, _month_relative),
    (_WEEKDAY_RELATIVE, _weekday_relative),
    (_DAY_WORD, _day_word),
    (_PERIOD_RELATIVE, _period_relative),
    (_AGO, _ago),
    (_WEEKEND, _weekend),
)


# --- helpers ------------------------------------------------------------------------------------


def _mention(
    match: re.Match[str], group: int | str, value: date, granularity: Granularity, relative: bool
) -> DateMention:
    start, end = match.span(group)
    return DateMention(start, end, match.string[start:end], value, granularity, relative)


def _longest_non_overlapping(candidates: list[DateMention]) -> list[DateMention]:
    # Greedy longest-first: "Wednesday, October 18, 2023" beats the "Wednesday" inside it, and
    # "on Tuesday, October 17" keeps the explicit date rather than a resolved "on Tuesday".
    chosen: list[DateMention] = []  # kept sorted by start
    starts: list[int] = []
    for mention in sorted(candidates, key=lambda m: (m.start - m.end, m.start)):
        i = bisect_right(starts, mention.start)
        if i > 0 and chosen[i - 1].end > mention.start:
            continue
        if i < len(chosen) and chosen[i].start < mention.end:
            continue
        chosen.insert(i, mention)
        starts.insert(i, mention.start)
    return chosen


def _label(mention: DateMention) -> str:
    value = mention.value
    if mention.granularity == "year":
        return str(value.year)
    if mention.granularity == "month":
        return f"{MONTHS[value.month - 1]} {value.year}"
    if re.search(r"\bweekend\b", mention.text, re.IGNORECASE):
        sunday = value + timedelta(days=1)
        first = str(value.day) if value.month == sunday.month else format_day(value)
        return f"weekend of {first}-{format_day(sunday)}"
    if re.search(r"\bweek\b", mention.text, re.IGNORECASE) and not _AGO.fullmatch(mention.text):
        # The value is the week's Monday; saying so keeps the model from taking it as the day.
        return f"week of {format_day(value)}"
    return format_day(value)


def _month_number(name: str) -> int:
    # The first three letters identify every month and abbreviation ("Sept." -> "sep").
    prefix = name[:3].lower()
    return next(i for i, month in enumerate(MONTHS, 1) if month[:3].lower() == prefix)


def safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None  # "February 30", or February 29 outside a leap year


def _year_for_weekday(year: int, month: int, day: int, weekday: str | None) -> date | None:
    """The anchor's year, unless a stated weekday only fits the year before or after.

    "Friday, December 29" in a January 2024 article is 2023: the weekday settles it.
    """
    value = safe_date(year, month, day)
    if weekday is None:
        return value
    wanted = WEEKDAYS.index(weekday)
    if value is not None and value.weekday() == wanted:
        return value
    for other in (year - 1, year + 1):
        candidate = safe_date(other, month, day)
        if candidate is not None and candidate.weekday() == wanted:
            return candidate
    return value  # the weekday is wrong in every nearby year; trust the date


def _future_cue_before(text: str, start: int) -> bool:
    window = text[max(0, start - _FUTURE_WINDOW) : start]
    # Only the current sentence: "He will attend. On Monday he said" is about the past.
    breaks = list(_SENTENCE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    return _FUTURE_CUE.search(window) is not None


def _word_before(text: str, start: int) -> str:
    # Whitespace only: across punctuation the previous word belongs to another phrase.
    found = re.search(r"(\w+)\s+$", text[max(0, start - 40) : start])
    return "" if found is None else found[1]


def _word_after(text: str, end: int) -> str:
    found = re.match(r"\s+(\w+)", text[end : end + 40])
    return "" if found is None else found[1]


def _at_sentence_start(text: str, start: int) -> bool:
    i = start
    while i > 0 and (text[i - 1].isspace() or text[i - 1] in "\"“‘'([—–-"):
        if text[i - 1] == "\n":
            return True
        i -= 1
    return i == 0 or text[i - 1] in ".!?:;"


# --- periods: the days a mention covers (for date filters) ---------------------------------


def mention_period(mention: DateMention) -> tuple[date, date]:
    """First and last day a mention stands for: "March 2017" is 1-31 March, "in 2016" the
    whole year, "last week" (resolved to its Monday) Monday to Sunday, a day only itself."""
    value = mention.value
    if mention.granularity == "year":
        return date(value.year, 1, 1), date(value.year, 12, 31)
    if mention.granularity == "month":
        return value, _month_end(value)
    if re.search(r"\bweek\b", mention.text, re.IGNORECASE):
        return value, value + timedelta(days=6)
    return value, value


def _month_end(first: date) -> date:
    index = first.year * 12 + first.month  # the next month, 0-based
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


# "May" is also a verb; as a month it comes with a day, a year or "in".
_MONTH_NAME = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December)\b"
    r"|\b(?:in|of|since|until) (May)\b|\b(May)(?= \d)"
)
_LEADING_WEEKDAY = re.compile(rf"({_WEEKDAY}),? ")


def month_names(text: str) -> set[int]:
    """The months `text` names, with or without a year (1-12)."""
    return {MONTHS.index(next(g for g in m.groups() if g)) + 1 for m in _MONTH_NAME.finditer(text)}


def normalise_days(text: str) -> str:
    """Write every full date one way, "3 July 2024": "07/03", "July 3" and "3 July" read
    differently around the world, and one form is easy to check by eye against the quote."""
    for m in reversed(find_dates(text, None)):
        if m.granularity != "day" or m.relative:
            continue
        weekday = _LEADING_WEEKDAY.match(m.text)
        prefix = f"{weekday.group(1)}, " if weekday else ""
        text = text[: m.start] + prefix + format_day(m.value) + text[m.end :]
    return text


# Any year will do for telling whether a text names a day: it only lets "February 7" parse.
_SOME_YEAR = date(2000, 1, 1)


def names_a_day(text: str) -> bool:
    """Whether `text` names a calendar day ("MOSCOW, February 7", "7 Feb"), with or without a
    year; relative words ("yesterday") do not count."""
    return any(m.granularity == "day" and not m.relative for m in find_dates(text, _SOME_YEAR))


def annotate_implied(text: str, anchor: date | None) -> str:
    """`text` with every date its article's day implies written out: relative ones ("on
    Wednesday [3 July 2024]") and explicit ones that leave out their year ("In March [March
    2023]", from an article of October 2023), as a reader of that article resolves them."""
    implied = [
        replace(m, relative=True)
        for m in find_dates(text, anchor)
        if m.relative or str(m.value.year) not in m.text
    ]
    return annotate(text, implied)
