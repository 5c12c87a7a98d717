"""Text as pieces: what is left of a line after furniture is cut out of it.

A cut is a hard boundary. The text on either side becomes two pieces, each starting where a
sentence may start, and the cleaned line is the pieces joined by single spaces. The news
archive stores each article as one line, so a share bar between two sentences is cut out of
the middle of that line rather than dropped with a line of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\S+")
# A token ends a sentence when it ends in . ! or ?, closing quotes and brackets allowed.
# The archive often has "-" where a no-break space followed the stop ("… in Somalia.- READ").
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*-?$")
_OPENS_SENTENCE = re.compile(r"[\"“‘'(\[]*[A-Z0-9]")
# A scheme or www., or a known top-level domain with a path ("dw.com/p/2Wx5C").
URL_PATTERN = (
    r"(?:https?://|www\.)\S+"
    r"|[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|info|co\.uk|ie|de|cn|ly|io|me|tv)/\S*"
)
_URL = re.compile(URL_PATTERN, re.IGNORECASE)
# After the end of a sentence: where the next one may begin.
_AFTER_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*-?\s+")


@dataclass(frozen=True)
class Removed:
    """One stretch of furniture taken out of a text, and the rule that took it."""

    text: str
    rule: str


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str


def tokens(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def sentence_starts(text: str) -> list[int]:
    """Where a sentence may start: the text's start and after each sentence-ending token.
    (A start after "U.S." too: a label or share bar right after one is no worse a guess.)"""
    return [0] + [m.end() for m in _AFTER_SENTENCE_END.finditer(text)]


def ends_sentence(token: str) -> bool:
    return bool(_SENTENCE_END.search(token))


def opens_sentence(token: str) -> bool:
    """A capital, a digit or an opening quote: how a new sentence glued on would begin."""
    return bool(_OPENS_SENTENCE.match(token))


def is_url(token: str) -> bool:
    return bool(_URL.fullmatch(token.rstrip(".,;:!?)\"”’'")))


def bare(token: str) -> str:
    """The word inside a token, without the punctuation around it, lower-cased."""
    return token.strip(".,;:!?\"“”‘’'()[]{}").lower()


def cut(text: str, spans: list[tuple[int, int, str]]) -> tuple[list[str], list[Removed]]:
    """`text` without `spans` (start, end, rule): the pieces left, stripped and non-empty,
    and what was removed. Overlapping spans merge, keeping the first one's rule."""
    pieces: list[str] = []
    removed: list[Removed] = []
    cursor = 0
    for start, end, rule in sorted(spans):
        if end <= cursor:
            continue
        start = max(start, cursor)
        pieces.append(text[cursor:start])
        removed.append(Removed(" ".join(text[start:end].split()), rule))
        cursor = end
    pieces.append(text[cursor:])
    return [p.strip() for p in pieces if p.strip()], removed
