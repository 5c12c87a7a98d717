"""Inline citation markers, `[1]` or `[1, 3]` or `[1][3]`: read out of a model's text, and
written once when an answer is rendered.

The model writes markers into prose; everything after that keeps an answer as sentences with
their citations (`rag.types.Statement`), so only model output is ever parsed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.text.sentences import split_sentences

_MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# "… in 2024. [1]" → "… in 2024 [1]." so the marker stays with the sentence it follows.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")
# Resolved-date brackets the model copied from a passage ("Thursday [4 July 2024]"): a date,
# not a citation.
_DATE_BRACKETS = re.compile(r"\s*\[((?:week of )?(?:\d{1,2} )?(?:[A-Z][a-z]+ )?\d{4})\]")


@dataclass(frozen=True)
class CitedText:
    """One sentence of model output, its markers taken out, and the numbers they gave."""

    text: str
    numbers: tuple[int, ...]


def cited_sentences(raw: str) -> list[CitedText]:
    """The sentences of `raw` with the marker numbers each carries, in order, without repeats.
    A marker standing alone after a sentence's stop belongs to that sentence."""
    flat = _DATE_BRACKETS.sub(r" (\1)", raw)
    flat = _MARKERS_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", flat)
    out: list[CitedText] = []
    for part in split_sentences(flat):
        numbers = tuple(
            dict.fromkeys(int(n) for group in _MARKERS.findall(part) for n in group.split(","))
        )
        text = " ".join(_MARKERS.sub(" ", part).split())
        # Squeezing out a marker can leave "2024 ." behind.
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if text.strip(".!? "):
            out.append(CitedText(text, numbers))
        elif numbers and out:
            merged = tuple(dict.fromkeys(out[-1].numbers + numbers))
            out[-1] = CitedText(out[-1].text, merged)
    return out


def without_markers(text: str) -> str:
    """The words of `text` with its markers taken out ("In Astana [1]." → "In Astana.")."""
    return re.sub(r"\s+([.,;:!?)])", r"\1", " ".join(_MARKERS.sub(" ", text).split()))


def markers(numbers: Iterable[int]) -> str:
    """ "[1][3]": how an answer writes the citations of one sentence."""
    return "".join(f"[{n}]" for n in numbers)
