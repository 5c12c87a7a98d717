"""What a question asks for: a figure ("how many"), a date ("when"), a person ("who"), a place
("where"), or something else; worked out once per question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from rag.text.words import STOPWORDS, tokens

DATE_QUESTION = re.compile(
    r"^\s*(?:on\s+|in\s+)?(?:what|which)\s+(?:exact\s+)?(?:date|day)\b|^\s*when\b", re.IGNORECASE
)


def is_date_question(question: str) -> bool:
    return bool(DATE_QUESTION.search(question))


class AnswerKind(Enum):
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    OTHER = "other"


_NUMBER_QUESTION = re.compile(
    r"\bhow (?:many|much|long|far|old|large|big)\b|"
    # "what was the (exact|total|annual) value": one qualifier may stand before the noun.
    r"\bwhat (?:was|is|were|are) the (?:[a-z]+ )?(?:value|number|amount|total|size|cost|price|"
    r"figure|share|percentage|rate|sum|death toll|toll)\b|\bwhat percentage\b",
    re.IGNORECASE,
)
_PERSON_QUESTION = re.compile(
    r"^\s*(?:who|whom|whose)\b|\bwhich (?:person|leader|official)\b", re.IGNORECASE
)
_PLACE_QUESTION = re.compile(r"^\s*where\b|\bin which (?:city|country|place)\b", re.IGNORECASE)


def answer_kind(question: str) -> AnswerKind:
    if DATE_QUESTION.search(question):
        return AnswerKind.DATE
    if _NUMBER_QUESTION.search(question):
        return AnswerKind.NUMBER
    if _PERSON_QUESTION.search(question):
        return AnswerKind.PERSON
    if _PLACE_QUESTION.search(question):
        return AnswerKind.PLACE
    return AnswerKind.OTHER


@dataclass(frozen=True)
class AnalysedQuestion:
    """What the checks need to know of a question, worked out once."""

    text: str
    kind: AnswerKind
    words: frozenset[str]  # its content tokens

    @classmethod
    def of(cls, question: str) -> AnalysedQuestion:
        words = frozenset(t for t in tokens(question) if t not in STOPWORDS)
        return cls(question, answer_kind(question), words)
