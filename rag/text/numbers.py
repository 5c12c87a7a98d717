"""Numbers in news text: figures written as digits or words, their scale, and counts of things.

One table of number words and one of scales, for every check that reads a figure: whether a
source backs an answer's number (`facts`), whether an answer holds a number at all, and which
count of which noun an outlet reports ("six planes" vs "five planes").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.dates import CALENDAR_WORDS, DateMention, find_dates
from rag.text.words import STOPWORDS, lemma

CARDINAL_WORDS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
     "ninety": 90, "hundred": 100}  # fmt: skip
ORDINAL_WORDS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth".split(), start=1
    )
}
SCALES: dict[str, float] = {
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
# A four-digit year of news: 1800-2100.
YEAR = re.compile(r"1[89]\d\d|20\d\d|2100")

_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_ONES = "one|two|three|four|five|six|seven|eight|nine"
_COMPOUND_WORD = re.compile(rf"\b({_TENS})-({_ONES})\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.])\$?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:st|nd|rd|th)?"
    r"(?:\s*(" + "|".join(SCALES) + r")\b)?",
    re.IGNORECASE,
)
_WORD_NUMBER = re.compile(
    r"\b(" + "|".join((*CARDINAL_WORDS, *ORDINAL_WORDS)) + r")\b", re.IGNORECASE
)
# A word that says "a number of": "dozens", "thousands".
_AMOUNT_WORD = re.compile(
    r"\b(?:" + "|".join(CARDINAL_WORDS) + r"|dozens?|thousands?|millions?|billions?)\b",
    re.IGNORECASE,
)
_FULL_SCALES = ("thousand", "million", "billion")
_FIGURE = re.compile(
    r"(?<![\w.,$€£])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted(CARDINAL_WORDS, key=len, reverse=True))
    + r")(?:\s+(?P<scale>"
    + "|".join(_FULL_SCALES)
    + r"))?\s+(?P<unit>[A-Za-z][a-z-]{2,})\b",
    re.IGNORECASE,
)


def number_values(text: str, *, words: bool) -> list[float]:
    """Every figure in `text` as a value ("$100 billion" is 1e11). `words`: also spelled-out
    numbers ("forty-two") and, for a scaled figure, its bare number ("$100 billion" also
    backs the "100" a model may write) — what a source can vouch for."""
    values: list[float] = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace(",", ""))
        scale = SCALES[match.group(2).lower()] if match.group(2) else 1.0
        values.append(value * scale)
        if words and scale != 1.0:
            values.append(value)
    if words:
        spelled = {**CARDINAL_WORDS, **ORDINAL_WORDS}
        values += [float(spelled[w.lower()]) for w in _WORD_NUMBER.findall(text)]
        for tens, ones in _COMPOUND_WORD.findall(text):
            values.append(float(CARDINAL_WORDS[tens.lower()] + CARDINAL_WORDS[ones.lower()]))
    return values


def has_amount_word(text: str) -> bool:
    """Whether `text` gives an amount in words ("two", "dozens", "thousands")."""
    return bool(_AMOUNT_WORD.search(text))


def mask_dates(text: str, mentions: list[DateMention]) -> str:
    """Blank out date expressions so their day and year digits are not read as figures."""
    chars = list(text)
    for m in mentions:
        chars[m.start : m.end] = " " * (m.end - m.start)
    return "".join(chars)


@dataclass(frozen=True)
class Figure:
    """A count of something: "six planes" is (6, "plane"), written "six"."""

    value: float
    unit: str  # the noun's lemma
    written: str  # the number as the text has it
    start: int
    end: int


def figures(text: str, units: frozenset[str] | None = None) -> list[Figure]:
    """Numbers followed by a noun; only nouns in `units` when given. Dates are no counts:
    "4 March" and "the 2017 election" give none."""
    masked = mask_dates(text, find_dates(text, None))
    out = []
    for m in _FIGURE.finditer(masked):
        unit = lemma(m["unit"].lower())
        if m["unit"].lower() in STOPWORDS or (units is not None and unit not in units):
            continue
        if m["unit"].lower() in CALENDAR_WORDS or YEAR.fullmatch(m["num"]):
            continue
        raw = m["num"].lower()
        value = float(CARDINAL_WORDS[raw]) if raw in CARDINAL_WORDS else float(raw.replace(",", ""))
        if m["scale"]:
            value *= SCALES[m["scale"].lower()]
        # "Five planes" opens a sentence; quoted mid-sentence it is "five".
        number = raw if raw in CARDINAL_WORDS else m["num"]
        written = number + (f" {m['scale']}" if m["scale"] else "")
        out.append(Figure(value, unit, written, m.start(), m.end()))
    return out
