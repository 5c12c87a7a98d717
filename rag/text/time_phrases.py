"""What period a question is about, and whether it wants the newest report: parsed once, in code.

"in March 2017", "in February", "last week", "since January", "before 1 March 2017" become a
`DateRange`; "latest", "most recent", "so far" a preference for the newest article that answers.
Relative phrases resolve against a reference date: the request's `as_of`, else the newest
article in the store, never the wall clock: asked "last week", an archive of 2017 news means
its own last week.

Retrieval (`rag.retrieval.scoped`) narrows to passages of articles published in the range *or*
passages that mention a date in it: "in March 2023" in a question is usually when the event
happened, and an article of October 2023 that says "in March 2023" answers it.

    >>> TimeScope.of("How many seats did the DUP win in March 2017?", date(2017, 3, 20)).period
    DateRange(start=datetime.date(2017, 3, 1), end=datetime.date(2017, 3, 31))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.text.dates import WEEKDAYS, DateMention, find_dates, format_day, mention_period

# The word right before a date that makes it a scope, and how: "on 3 July" is the event asked
# about, not a period to search, so a bare day needs one of the bounding words.
_PREFIX = re.compile(
    r"(?:\b(?P<word>as\s+of|since|from|after|before|until|till|up\s+to|in|during|between|and)"
    r"|\b(?P<mid>mid)-)\s*$",
    re.IGNORECASE,
)
_PERIOD_WORDS = frozenset({"in", "during", "mid"})
_BOUND_WORDS = frozenset({"as of", "since", "from", "after", "before", "until", "till", "up to"})
_LATEST = re.compile(
    r"\b(?:latest|newest|most\s+recent(?:ly)?|so\s+far|to\s+date|current(?:ly)?|as\s+it\s+stands)\b",
    re.IGNORECASE,
)
# "Is he still in custody?", "Are they still stuck there?": a present-tense yes/no question
# with "still" asks whether a state lasts until now, which only the newest report can say.
# The auxiliary must open the question or a clause of it, so that "Who said the body was still
# in Kuala Lumpur?" (a reported past state) is no such question.
_STILL = re.compile(
    r"(?:^|[:;?]\s*)(?:is|are|does|do|has|have)\b[^?.;:]*?\b(?P<still>still)\b",
    re.IGNORECASE,
)
_RELATIVE_DAY_WORDS = re.compile(r"^(?:yesterday|today|tonight|last\s+night)$", re.IGNORECASE)


@dataclass(frozen=True)
class DateRange:
    """Publication days from `start` to `end`, both included; None is open."""

    start: date | None
    end: date | None

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def intersect(self, other: DateRange) -> DateRange | None:
        """Both at once; None when they do not overlap."""
        starts = [d for d in (self.start, other.start) if d is not None]
        ends = [d for d in (self.end, other.end) if d is not None]
        start = max(starts) if starts else None
        end = min(ends) if ends else None
        if start is not None and end is not None and start > end:
            return None
        return DateRange(start, end)

    def describe(self) -> str:
        if self.start and self.end:
            if self.start == self.end:
                return format_day(self.start)
            return f"{format_day(self.start)} to {format_day(self.end)}"
        if self.start:
            return f"since {format_day(self.start)}"
        return f"until {format_day(self.end)}" if self.end else "any date"


@dataclass(frozen=True)
class TimeScope:
    """The time a question is about, worked out once per question.

    `period` is where to look (None: anywhere); `latest` asks for the newest article that
    answers; `as_of` is a date the question itself gives ("as of 1 March 2017, ..."), which
    caps publication dates and anchors relative phrases; `spans` are the matched phrases'
    places in `question`, so that `stripped` can leave them out of sentence matching; `days`
    are the explicit days it names that are no scope ("what did Turkey say on 13 March
    2017"): the day of the event asked about, which retrieval prefers reports of.
    """

    question: str
    reference: date | None
    period: DateRange | None = None
    latest: bool = False
    as_of: date | None = None
    spans: tuple[tuple[int, int], ...] = ()
    days: tuple[date, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.spans)

    @property
    def stripped(self) -> str:
        """The question without its time phrases: "latest" or "in March 2017" are no words a
        source sentence needs to hold to answer it."""
        out, cursor = [], 0
        for start, end in sorted(self.spans):
            out.append(self.question[cursor:start])
            cursor = max(cursor, end)
        out.append(self.question[cursor:])
        text = " ".join("".join(out).split())
        return re.sub(r"\s+([?.!,])", r"\1", text).strip(" ,")

    @classmethod
    def of(cls, question: str, newest: date | None, as_of: date | None = None) -> TimeScope:
        """Parse `question`. Relative phrases ("last week", "in February") count back from
        `as_of` (the request's), else an "as of" date in the question, else `newest` (the
        newest article's date); with none of them they are left alone."""
        spans: list[tuple[int, int]] = [m.span() for m in _LATEST.finditer(question)]
        spans += [m.span("still") for m in _STILL.finditer(question)]
        latest = bool(spans)
        period_spans: list[tuple[int, int]] = []
        as_of = as_of or _as_of(question, newest)
        anchor = as_of or newest
        period: DateRange | None = DateRange(None, None)
        ranged = False
        between: DateMention | None = None
        days: list[date] = []
        for mention in find_dates(question, anchor):
            word, start = _prefix(question, mention)
            bound = _scope_of(mention, word, anchor, between)
            if word == "between":
                between = mention
            if bound is None:
                if mention.granularity == "day" and not mention.relative:
                    days.append(mention.value)
                continue
            if word == "as of":
                spans.append((start, mention.end))
                continue  # the cap and the anchor, taken above
            period_spans.append((start, mention.end))
            ranged = True
            period = period.intersect(bound) if period is not None else None
        if not ranged:
            period = None
        if period is not None:
            # Phrases that contradict each other ("in 2023 … in 2024") ask about two times, so
            # none is a scope, and their words stay in the question.
            spans += period_spans
        return cls(question, anchor, period, latest, as_of, tuple(spans), tuple(days))

    def describe(self) -> str:
        parts = []
        if self.period is not None:
            parts.append(f"articles of {self.period.describe()} or mentioning it")
        if self.as_of is not None:
            parts.append(f"as of {format_day(self.as_of)}")
        if self.latest:
            parts.append("newest answering article first")
        return "; ".join(parts) or "no time scope"


# --- parsing helpers -----------------------------------------------------------------------


def _prefix(question: str, mention: DateMention) -> tuple[str, int]:
    """The scope word right before the mention ("" if none) and where the phrase starts."""
    match = _PREFIX.search(question, 0, mention.start)
    if match is None:
        return "", mention.start
    word = " ".join((match["word"] or match["mid"]).lower().split())
    return word, match.start()


def _scope_of(
    mention: DateMention, word: str, anchor: date | None, between: DateMention | None
) -> DateRange | None:
    """The days a mention limits the question to, or None when it is no scope."""
    if not _is_scope(mention, word, between):
        return None
    first, last = mention_period(mention)
    if word in ("since", "from"):
        return DateRange(first, None)
    if word == "after":
        return DateRange(last + timedelta(days=1), None)
    if word == "before":
        return DateRange(None, first - timedelta(days=1))
    if word in ("until", "till", "up to", "as of"):
        return DateRange(None, last)
    if word == "between":
        return DateRange(first, None)
    if word == "and":
        return DateRange(None, last)
    if mention.relative and anchor is not None and last > anchor:
        last = anchor  # "this week" ends today; nothing is published after the reference
    return DateRange(first, last)


def _is_scope(mention: DateMention, word: str, between: DateMention | None) -> bool:
    if word == "and":
        return between is not None  # "between January and March"; other "and"s are prose
    if word in _BOUND_WORDS or word == "between":
        return True
    if any(day in mention.text for day in WEEKDAYS):
        return False  # "on Wednesday" in a question dates the event asked about
    if mention.relative:
        # "last week", "this month", "yesterday" are periods by themselves.
        return mention.granularity != "day" or bool(
            re.search(r"\bweek\b", mention.text, re.IGNORECASE)
            or _RELATIVE_DAY_WORDS.match(mention.text.strip())
        )
    # "in March 2017", "in 2016", "in February"; "the March 2017 election" names an event.
    return word in _PERIOD_WORDS and mention.granularity in ("month", "year")


def _as_of(question: str, reference: date | None) -> date | None:
    for mention in find_dates(question, reference):
        word, _ = _prefix(question, mention)
        if word == "as of":
            return mention_period(mention)[1]
    return None
