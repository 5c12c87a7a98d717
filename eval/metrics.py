"""Per-question metric functions: pure, deterministic, small enough to check by hand.

Definitions are in eval/README.md; each function's docstring repeats the one it implements.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import cache


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def matched_groups(text: str, facts: Sequence[Sequence[str]]) -> list[bool]:
    """For each fact group, whether any of its alternatives `re.search`es the text."""
    return [any(_compiled(p).search(text) for p in group) for group in facts]


def facts_match(text: str, facts: Sequence[Sequence[str]]) -> bool:
    """True when every group matches. No groups → False: nothing to confirm is not a pass."""
    return bool(facts) and all(matched_groups(text, facts))


def is_correct(answerable: bool, answered: bool, text: str, facts: Sequence[Sequence[str]]) -> bool:
    """Answerable: the system answered and every fact group matches its text.
    Unanswerable: the system declined (`answered` is False), whatever the text says."""
    if not answerable:
        return not answered
    return answered and facts_match(text, facts)


def is_wrong_answer(
    answerable: bool, answered: bool | None, text: str, facts: Sequence[Sequence[str]]
) -> bool:
    """An answer given (`answered` is True) that is wrong: for an answerable question, its fact
    groups do not all match; for an unanswerable or false-premise one, any answer. A decline
    (or a correction, which is delivered as not answered) is never a wrong answer, nor is a
    question the contender failed on (`answered` None)."""
    if answered is not True:
        return False
    return not answerable or not facts_match(text, facts)


def premise_asserted(text: str, premise: Sequence[Sequence[str]]) -> bool:
    """The text states the premise: every premise group has an alternative that matches, as
    for facts. Used only on answers, never on corrections (see `premise_accepted`)."""
    return facts_match(text, premise)


def premise_accepted(answered: bool | None, text: str, premise: Sequence[Sequence[str]]) -> bool:
    """A false premise accepted: the contender answered (`answered` is True) and the answer
    states the premise. A correction says the premise too ("the articles do not say Rutte
    resigned") but is delivered with `answered` False, so it never counts here; the regexes
    need not tell a negation from an assertion."""
    return answered is True and premise_asserted(text, premise)


def recall_at_k(retrieved_sources: Sequence[str], expected: Sequence[str]) -> float | None:
    """Share of distinct expected sources among the retrieved passages' sources; None when
    nothing is expected (unanswerable questions)."""
    wanted = set(expected)
    if not wanted:
        return None
    return len(wanted & set(retrieved_sources)) / len(wanted)


def reciprocal_rank(retrieved_sources: Sequence[str], expected: Sequence[str]) -> float | None:
    """1 / rank of the first passage from an expected source (ranks start at 1); 0 when none
    is; None when nothing is expected."""
    wanted = set(expected)
    if not wanted:
        return None
    for rank, source in enumerate(retrieved_sources, start=1):
        if source in wanted:
            return 1.0 / rank
    return 0.0


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile with linear interpolation between closest ranks (numpy's default);
    None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def share(hits: int, total: int) -> float | None:
    """hits / total, None when there is nothing to count (so 0/0 never reads as 0% or 100%)."""
    return hits / total if total else None
