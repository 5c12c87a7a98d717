"""Dates and figures in a sentence, normalised so an answer can be checked against a passage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rag.documents.dates import MONTHS, DateMention, find_dates

_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_NUMBER = re.compile(
    r"(?<![\w.])\$?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:st|nd|rd|th)?"
    r"(?:\s*(thousand|million|billion|trillion|bn|mn|tn|m|b)\b)?",
    re.IGNORECASE,
)
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)
_FORTY_TWO = re.compile(
    r"\b(twenty|thirty|forty|fifty)-(one|two|three|four|five|six|seven|eight|nine)\b", re.I
)


@dataclass(frozen=True)
class Facts:
    """What must be found in a passage for it to support a sentence."""

    numbers: frozenset[float]
    days: frozenset[date]
    months: frozenset[tuple[int, int]]
    years: frozenset[int]
    # Months named without a year ("in March"): the source must name the same month.
    month_names: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.numbers or self.days or self.months or self.years or self.month_names)

    def describe(self) -> str:
        parts = [f"{n:g}" for n in sorted(self.numbers)]
        parts += [d.isoformat() for d in sorted(self.days)]
        parts += [f"{y}-{m:02d}" for y, m in sorted(self.months)]
        parts += [str(y) for y in sorted(self.years)]
        parts += [MONTHS[m - 1] for m in sorted(self.month_names)]
        return ", ".join(parts)


def claim_facts(sentence: str) -> Facts:
    """Facts an answer sentence asserts: explicit dates and numbers (spelled-out ones ignored)."""
    mentions = find_dates(sentence, anchor=None)
    masked = _mask(sentence, mentions)
    return Facts(
        numbers=frozenset(_numbers(masked, words=False)),
        days=frozenset(m.value for m in mentions if m.granularity == "day"),
        months=frozenset(
            (m.value.year, m.value.month) for m in mentions if m.granularity == "month"
        ),
        years=frozenset(m.value.year for m in mentions if m.granularity == "year"),
        month_names=frozenset(_month_names(masked)),
    )


@dataclass(frozen=True)
class Evidence:
    """Everything a span of source text can vouch for. The article's publication date is
    deliberately not evidence: small models copy it as the date of whatever they were asked."""

    numbers: frozenset[float]
    days: frozenset[date]
    months: frozenset[tuple[int, int]] = frozenset()
    month_names: frozenset[int] = frozenset()

    @classmethod
    def of(cls, text: str, anchor: date | None, extra_days: tuple[date, ...] = ()) -> Evidence:
        mentions = find_dates(text, anchor)
        # "this week" resolves to the week's Monday, which is no evidence for any one day.
        dated = [m for m in mentions if "week" not in m.text.lower()]
        days = {m.value for m in dated if m.granularity == "day"} | set(extra_days)
        numbers = set(_numbers(_mask(text, mentions), words=True))
        # A year or day written in the source ("in 2022", "24th April") backs the same bare
        # number in a claim, where the model may drop the month or the year.
        numbers |= {float(m.value.year) for m in dated}
        numbers |= {float(d.day) for d in days}
        months = {(m.value.year, m.value.month) for m in dated if m.granularity != "year"}
        names = {m.value.month for m in dated if m.granularity != "year"} | _month_names(text)
        return cls(frozenset(numbers), frozenset(days), frozenset(months), frozenset(names))

    def supports(self, facts: Facts) -> bool:
        return not self.missing(facts)

    def missing(self, facts: Facts) -> list[str]:
        gaps = [f"{n:g}" for n in facts.numbers if not self._has_number(n)]
        gaps += [d.isoformat() for d in facts.days if d not in self.days]
        gaps += [f"{y}-{m:02d}" for y, m in facts.months if (y, m) not in self.months]
        gaps += [str(y) for y in facts.years if not self._has_year(y)]
        gaps += [MONTHS[m - 1] for m in facts.month_names if m not in self.month_names]
        return gaps

    def _has_number(self, n: float) -> bool:
        return any(abs(n - have) <= 1e-9 * max(1.0, abs(n)) for have in self.numbers)

    def _has_year(self, year: int) -> bool:
        return float(year) in self.numbers or any(d.year == year for d in self.days)


# "May" is also a verb; as a month it comes with a day, a year or "in".
_MONTH_NAME = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December)\b"
    r"|\b(?:in|of|since|until) (May)\b|\b(May)(?= \d)"
)


def _month_names(text: str) -> set[int]:
    return {MONTHS.index(next(g for g in m.groups() if g)) + 1 for m in _MONTH_NAME.finditer(text)}


def _mask(text: str, mentions: list[DateMention]) -> str:
    """Blank out date expressions so their day and year digits are not read as figures."""
    chars = list(text)
    for m in mentions:
        chars[m.start : m.end] = " " * (m.end - m.start)
    return "".join(chars)


def _numbers(text: str, *, words: bool) -> list[float]:
    values: list[float] = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace(",", ""))
        scale = _SCALES[match.group(2).lower()] if match.group(2) else 1.0
        values.append(value * scale)
        if words and scale != 1.0:
            # In a source, "$100 billion" also backs the bare "100" a model may write.
            values.append(value)
    if words:
        values += [float(_WORDS[w.lower()]) for w in _WORD_NUMBER.findall(text)]
        for tens, ones in _FORTY_TWO.findall(text):
            values.append(float(_WORDS[tens.lower()] + _WORDS[ones.lower()]))
    return values
