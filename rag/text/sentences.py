"""The one sentence splitter: article text, passages and the model's answers all use it.

News prose is full of periods that do not end a sentence ("U.S. President", "Mr. Xi",
"Jan. 5", "No. 2"). A period ends a sentence only when what precedes it is not a known
abbreviation, and — for initialisms such as "U.S." that also end sentences — only when the next
word is one that opens sentences rather than continues a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# A candidate break: . ! or ? (optionally closed by a quote or bracket) then whitespace and an
# opening capital, digit, quote or bracket.
_CANDIDATE = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘(\[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_NEXT_WORD = re.compile(r"[\"“‘(\[]*([A-Za-z0-9]+)")

# Titles, always followed by more of the same phrase ("Mr. Xi", "St. Petersburg").
_TITLES = frozenset(
    "mr mrs ms dr prof gen lt col maj sgt capt cmdr adm gov sen rep rev hon pres st messrs mme "
    "mt ft".split()
)
# Abbreviations that also end sentences ("Apple Inc. The company..."): treated like initialisms.
_AMBIGUOUS = frozenset("inc corp ltd co jr sr etc vs approx est dept".split())
# Before a number the period is the abbreviation's ("Jan. 5", "No. 2", "Sept. 11").
_BEFORE_NUMBER = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec no nos vol ch art fig p pp".split()
)
# After an initialism ("U.S.", "U.N.") a sentence ends only if the next word opens sentences.
_OPENERS = frozenset(
    "the a an in on at it its he she they we i you this that these those there here but and "
    "or so yet if when while after before as since his her their our my however meanwhile "
    "also still then now last next earlier later today yesterday what who why how where "
    "both some many most several one two three according for from with by to".split()
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    paragraph_start: bool


# Texts up to this long (a chunk, 800 characters by default; not a whole article being chunked)
# keep their split: sentence matching, the date solver and citation checks each ask for the
# sentences of the same retrieved chunks, so one question splits each chunk once.
_KEPT_MAX_CHARS = 4000
_KEPT_TEXTS = 4096


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of text[start:end], trimmed of surrounding whitespace."""
    if start == 0 and end is None and len(text) <= _KEPT_MAX_CHARS:
        return list(_kept_spans(text))
    return _split(text, start, len(text) if end is None else end)


@lru_cache(maxsize=_KEPT_TEXTS)
def _kept_spans(text: str) -> tuple[Span, ...]:
    return tuple(_split(text, 0, len(text)))


def _split(text: str, start: int, end: int) -> list[Span]:
    spans: list[Span] = []
    para_start = start
    for para_end in [m.start() for m in _PARAGRAPH.finditer(text, start, end)] + [end]:
        first = True
        cursor = para_start
        for cut, resume in _breaks(text, para_start, para_end):
            _add_trimmed(spans, text, cursor, cut, first)
            first = first and not spans
            cursor = resume
        _add_trimmed(spans, text, cursor, para_end, first)
        next_para = _PARAGRAPH.search(text, para_end, end)
        para_start = next_para.end() if next_para else para_end
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` as strings (line breaks inside a paragraph are spaces)."""
    return [text[s.start : s.end].replace("\n", " ") for s in sentence_spans(text)]


def _breaks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(end of sentence, start of the next) for every real break in text[start:end]."""
    out = []
    for match in _CANDIDATE.finditer(text, start, end):
        closer_end = match.start() + 1
        while closer_end < match.end() and not text[closer_end].isspace():
            closer_end += 1
        if text[match.start()] == "." and _is_abbreviation(text, match.start(), match.end()):
            continue
        out.append((closer_end, match.end()))
    return out


def _is_abbreviation(text: str, dot: int, next_start: int) -> bool:
    before = _WORD_BEFORE.search(text, max(0, dot - 20), dot)
    if before is None:
        return False
    word = before[1]
    key = word.lower().rstrip(".")
    after = _NEXT_WORD.match(text, next_start)
    next_word = after[1] if after else ""
    if "." in word or key in _AMBIGUOUS:
        # An initialism (U.S, U.N, a.m): a break only before a word that opens sentences.
        return next_word.lower() not in _OPENERS
    if key in _TITLES:
        return True
    if key in _BEFORE_NUMBER:
        return next_word[:1].isdigit()
    # A single capital is an initial ("John F. Kennedy"), not a sentence's last word.
    return len(word) == 1 and word.isupper()


def _add_trimmed(spans: list[Span], text: str, start: int, end: int, paragraph_start: bool) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        first = paragraph_start or not spans
        spans.append(Span(start, end, first))


_AFTER_QUESTION_MARK = re.compile(r"(?<=\?)\s+")


# A follow-up's opening conjunction ("And on what date …") is no part of what it asks.
_OPENING_CONJUNCTION = re.compile(r"^(?:and|but|so|then|also)\b,?\s+", re.IGNORECASE)


def last_question(text: str) -> str:
    """The last question of a text that asks several ("When was the visit? How did they
    describe it?" asks the second): a joined follow-up's own question, without the "And" a
    follow-up opens with."""
    asked = [q for q in _AFTER_QUESTION_MARK.split(text.strip()) if q]
    last = asked[-1] if asked else text
    return _OPENING_CONJUNCTION.sub("", last.strip()) or last
