"""Dates and figures in a sentence, normalised so an answer can be checked against a passage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rag.text.dates import MONTHS, find_dates, month_names
from rag.text.numbers import mask_dates, number_values


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

    def each(self) -> list[Facts]:
        """One `Facts` per fact: for backing each by a different passage."""
        empty: frozenset = frozenset()
        return (
            [Facts(frozenset({n}), empty, empty, empty) for n in self.numbers]
            + [Facts(empty, frozenset({d}), empty, empty) for d in self.days]
            + [Facts(empty, empty, frozenset({m}), empty) for m in self.months]
            + [Facts(empty, empty, empty, frozenset({y})) for y in self.years]
            + [Facts(empty, empty, empty, empty, frozenset({m})) for m in self.month_names]
        )

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
    masked = mask_dates(sentence, mentions)
    return Facts(
        numbers=frozenset(number_values(masked, words=False)),
        days=frozenset(m.value for m in mentions if m.granularity == "day"),
        months=frozenset(
            (m.value.year, m.value.month) for m in mentions if m.granularity == "month"
        ),
        years=frozenset(m.value.year for m in mentions if m.granularity == "year"),
        month_names=frozenset(month_names(masked)),
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
        numbers = set(number_values(mask_dates(text, mentions), words=True))
        # A year or day written in the source ("in 2022", "24th April") backs the same bare
        # number in a claim, where the model may drop the month or the year.
        numbers |= {float(m.value.year) for m in dated}
        numbers |= {float(d.day) for d in days}
        months = {(m.value.year, m.value.month) for m in dated if m.granularity != "year"}
        names = {m.value.month for m in dated if m.granularity != "year"} | month_names(text)
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
