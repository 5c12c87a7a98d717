"""The one place an answer becomes text: statements numbered and written with `[n]` markers."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rag.text.markers import markers
from rag.types import Aside, Citation, Statement

_CLOSERS = ".!?"


@dataclass(frozen=True)
class Rendered:
    text: str
    citations: list[Citation]  # numbered 1..n in order of first use
    statements: list[Statement]  # with their citations numbered


def render(statements: list[Statement]) -> Rendered:
    """Number the citations in order of first use (one number per chunk and quote) and write
    each statement as "text [1][2] (aside [3])." — markers before the closing stop."""
    numbered: dict[tuple[str, int, int], Citation] = {}

    def number(c: Citation) -> Citation:
        if c.span not in numbered:
            numbered[c.span] = replace(c, n=len(numbered) + 1)
        return numbered[c.span]

    out: list[Statement] = []
    pieces: list[str] = []
    for statement in statements:
        cites = tuple(dict.fromkeys(number(c) for c in statement.citations))
        asides = tuple(
            Aside(a.text, tuple(dict.fromkeys(number(c) for c in a.citations)))
            for a in statement.asides
        )
        out.append(Statement(statement.text, cites, asides))
        pieces.append(_written(statement.text, cites, asides))
    return Rendered(" ".join(p for p in pieces if p), list(numbered.values()), out)


def _written(text: str, cites: tuple[Citation, ...], asides: tuple[Aside, ...]) -> str:
    body = text.rstrip()
    end = ""
    if body and body[-1] in _CLOSERS:
        body, end = body[:-1], body[-1]
    marks = markers(c.n for c in cites)
    out = f"{body} {marks}" if marks else body
    if asides:
        inner = "; ".join(f"{a.text} {markers(c.n for c in a.citations)}".rstrip() for a in asides)
        out += f" ({inner})"
    return out + end
