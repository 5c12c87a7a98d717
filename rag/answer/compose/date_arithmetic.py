""" "How many days between A and B" answered in code: each event dated from its own passage.

A small model asked for the gap between two dates it was shown subtracts wrongly or not at
all. Here each event phrase is dated by the date solver over the retrieved passages (each
from the sentence that best matches it), and the difference is computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.compose.verified import Verified
from rag.answer.evidence.date_solver import DatedEvidence, solve
from rag.text.dates import format_day
from rag.types import Citation, Passage, Statement

_BETWEEN = re.compile(
    r"^\s*how many (?P<unit>days|weeks)\s+(?:passed|elapsed|went by|were there|lay)?\s*"
    r"between\s+(?P<events>.+?)\s*\??\s*$",
    re.IGNORECASE,
)
_AFTER = re.compile(
    r"^\s*how (?:many (?P<unit>days|weeks)|long)\s+(?P<dir>after|before)\s+(?P<a>.+?)\s+"
    r"(?:did|was|were|had)\s+(?P<b>.+?)\s*\??\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Dated:
    phrase: str
    evidence: DatedEvidence


def days_between(question: str, passages: list[Passage]) -> Verified | None:
    """The computed gap with both dates cited; None when the question is not of this form or
    either event has no clear date in the passages."""
    found = _event_pair(question, passages)
    if found is None:
        return None
    pair, unit = found
    first, second = sorted(pair, key=lambda d: d.evidence.day)
    days = (second.evidence.day - first.evidence.day).days
    if days == 0:
        return None
    gap = f"{days} days" if days < 14 or unit == "days" else f"{days} days ({days / 7:.1f} weeks)"
    # One date and one citation per sentence: each quote backs exactly what its sentence says.
    statements = [Statement(f"{gap}.")] + [
        Statement(
            f"{_capitalised(d.phrase)} was on {format_day(d.evidence.day)}.",
            (_cite(d.evidence, passages),),
        )
        for d in (first, second)
    ]
    note = "days between the two events computed in code from the dates each passage gives"
    return Verified(statements, answered=True, notes=[note])


def _event_pair(question: str, passages: list[Passage]) -> tuple[tuple[_Dated, _Dated], str] | None:
    if m := _BETWEEN.match(question):
        events = m["events"]
        # "Xi and Putin's meeting in Beijing and their meeting in Astana": try every " and ",
        # keep the split whose two halves each get a date of their own.
        splits = [
            (events[: a.start()], events[a.end() :]) for a in re.finditer(r"\s+and\s+", events)
        ]
    elif m := _AFTER.match(question):
        splits = [(m["a"], m["b"])]
    else:
        return None
    for a, b in splits:
        da, db = _dated(a, passages), _dated(b, passages)
        if da is not None and db is not None and da.evidence.day != db.evidence.day:
            return (da, db), (m["unit"] or "days").lower()
    return None


def _dated(phrase: str, passages: list[Passage]) -> _Dated | None:
    phrase = phrase.strip(" ,")
    evidence = solve(f"When was {phrase}?", passages) if phrase else None
    return _Dated(phrase, evidence) if evidence is not None else None


def _capitalised(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


def _cite(evidence: DatedEvidence, passages: list[Passage]) -> Citation:
    chunk = passages[evidence.passage_index].chunk
    if evidence.end > evidence.start:
        return Citation.of(chunk, evidence.start, evidence.end)
    start = max(chunk.text.find(evidence.sentence), 0)
    return Citation.of(chunk, start, start + len(evidence.sentence))
