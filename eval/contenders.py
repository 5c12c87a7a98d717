"""The systems an eval run compares, behind one small interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rag.service import RagService
from rag.types import Answer, Passage, Turn


class Contender(Protocol):
    """Something that retrieves passages and answers questions; the runner scores both.

    >>> contender.retrieve("Where did Xi and Putin meet in July 2024?")[0].chunk.source
    '004_d9422b366859b37e.txt'
    """

    name: str

    def retrieve(self, query: str) -> list[Passage]: ...

    def ask(self, question: str, history: list[Turn]) -> Answer: ...


class SystemContender:
    """newsrag itself: the same service object the CLI, API and Slack bot call."""

    name = "system"

    def __init__(self, service: RagService) -> None:
        self._service = service

    def retrieve(self, query: str) -> list[Passage]:
        return self._service.retrieve(query)

    def ask(self, question: str, history: list[Turn]) -> Answer:
        return self._service.ask(question, history=history)


def followup_query(question: str, history: Sequence[str]) -> str:
    """The retrieval query for a follow-up when no model rewrites it: the previous user question,
    then this one. It mirrors `RagService`'s own fallback for an unusable rewrite, so the
    retrieval-only numbers measure a path the service really takes."""
    return f"{history[-1]} {question}" if history else question
