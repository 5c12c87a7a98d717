"""What counts as no question at all: checked once, by the service and the HTTP schemas."""

from __future__ import annotations

import unicodedata

EMPTY_QUESTION = "the question is empty"


def is_blank(question: str) -> bool:
    """True when nothing would be left after dropping whitespace and invisible characters:
    NULs, control characters, zero-width spaces and marks, unassigned code points."""
    return all(
        ch.isspace() or unicodedata.category(ch)[0] in ("C", "Z")
        for ch in unicodedata.normalize("NFKC", question)
    )


class Question(str):
    """A question `RagService.check_question` has accepted. The service's answering methods
    take plain strings too, and check those; one of these they take as it is, so a route
    that checks before admitting a question does not have it checked twice."""

    __slots__ = ()
