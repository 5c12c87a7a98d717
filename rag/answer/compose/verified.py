"""What the answer steps pass along: an answer as statements with their citations, not yet text."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.types import Citation, Statement

REFUSAL_MARKER = "NOT IN ARTICLES"
REFUSAL_TEXT = "The articles do not contain the answer to this question."


@dataclass
class Verified:
    """An answer so far: statements that each cite what backs them (checked in code), or a
    refusal (`answered` False)."""

    statements: list[Statement]
    answered: bool
    notes: list[str] = field(default_factory=list)
    # A false premise answered with what the articles do say (`answered` is False).
    corrected: bool = False

    @property
    def text(self) -> str:
        """The statements as prose without markers: what checks of the wording read."""
        return " ".join(s.text for s in self.statements)

    @property
    def citations(self) -> list[Citation]:
        """Every citation, once, in order of first use."""
        seen: dict[tuple[str, int, int], Citation] = {}
        for statement in self.statements:
            for c in statement.every_citation():
                seen.setdefault(c.span, c)
        return list(seen.values())


def refusal(notes: list[str] | None = None, text: str = REFUSAL_TEXT) -> Verified:
    """The plain "not in the articles" answer (or `text`, a refusal that says why)."""
    return Verified([Statement(text)], answered=False, notes=list(notes or []))
