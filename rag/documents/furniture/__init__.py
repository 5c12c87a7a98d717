"""Page furniture removed from article text before it is chunked.

Share bars, link lists, "READ MORE: <another headline>" and promos are not the article; stored,
they are retrieved and quoted back as answers. `clean` takes them out in three steps:

1. rules that need nothing but the text (`rules`): runs of bare share and network words,
   links back to back, separator rows, lines of page controls ("Advertisement");
2. cross-links (`crosslinks`): a label ("READ MORE:", "Related:") and the headline after it;
3. with a `FurnitureModel` learnt from a corpus (`learn`), sentences an outlet repeats across
   many different stories (`recurring`), and better judgement of where a glued headline ends.

Uploaded files get steps 1 and 2: the statistics of step 3 need many articles of one
publisher, which a store of uploads does not know (files carry no outlet), and learning them
from whatever happens to be stored would make a file's chunks depend on what was uploaded
before it. The news archive gets all three, learnt from the whole CSV at read time.

Text without furniture comes back unchanged, character for character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rag.documents.furniture import crosslinks, recurring, rules
from rag.documents.furniture.crosslinks import BoundaryStats
from rag.documents.furniture.pieces import Removed, cut
from rag.documents.furniture.recurring import OutletProfile
from rag.text.sentences import sentence_spans

__all__ = ["Cleaned", "FurnitureModel", "Removed", "clean", "is_furniture", "learn"]


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: tuple[Removed, ...] = ()


@dataclass(frozen=True)
class FurnitureModel:
    """What a corpus teaches about its furniture: where glued headlines end, and each
    outlet's recurring sentences."""

    boundaries: BoundaryStats | None = None
    outlets: Mapping[str, OutletProfile] = field(default_factory=dict)


# A cut can put furniture at the start of a sentence that did not start one before ("…
# device Share this with …" once "… device" goes), so cleaning repeats until nothing changes.
_MAX_ROUNDS = 4


def clean(text: str, model: FurnitureModel | None = None, outlet: str = "") -> Cleaned:
    """`text` without its furniture, line by line; lines without any are kept as they are."""
    removed: list[Removed] = []
    for _ in range(_MAX_ROUNDS):
        once = _clean_once(text, model or FurnitureModel(), outlet)
        if not once.removed:
            break
        text = once.text
        removed += once.removed
    return Cleaned(text, tuple(removed))


def _clean_once(text: str, model: FurnitureModel, outlet: str) -> Cleaned:
    profile = model.outlets.get(outlet)
    lines = text.split("\n")
    kept: list[str] = []
    removed: list[Removed] = []
    first = True
    for line in lines:
        if not line.strip():
            kept.append(line)
            continue
        pieces, gone = _pieces(line, model.boundaries)
        if profile is not None and pieces:
            pieces, more = _cut_recurring(pieces, profile, opens_text=first)
            gone += more
        first = False
        removed += gone
        if not gone:
            kept.append(line)
        elif pieces:
            kept.append(" ".join(pieces))
    if not removed:
        return Cleaned(text)
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(kept))
    if not text.startswith("\n"):
        out = out.lstrip("\n")
    return Cleaned(out, tuple(removed))


def is_furniture(line: str) -> bool:
    """Whether the rules alone would remove all of `line` (a title should not be this)."""
    pieces, _ = _pieces(line, None)
    return bool(line.strip()) and not pieces


def learn(articles: Iterable[tuple[str, str]]) -> FurnitureModel:
    """A model from (outlet, text) pairs: boundary statistics over all of them, a profile
    per outlet. Deterministic: the same articles in the same order give the same model."""
    first_pass = [(outlet, _rule_pieces(text)) for outlet, text in articles]
    wanted: set[tuple[str, str]] = set()
    for _, pieces in first_pass:
        for piece in pieces:
            wanted |= crosslinks.wanted_pairs(piece)
    boundaries = BoundaryStats.count(_plain_sentences(first_pass), wanted)
    by_outlet: dict[str, list[list[str]]] = {}
    for outlet, pieces in first_pass:
        by_outlet.setdefault(outlet, []).append(_cut_crosslinks(pieces, boundaries)[0])
    profiles = {outlet: recurring.learn(arts) for outlet, arts in by_outlet.items()}
    return FurnitureModel(boundaries, profiles)


def _plain_sentences(articles: list[tuple[str, list[str]]]) -> Iterable[str]:
    # The sentences holding a cross-link are left out: their glued headlines are what the
    # statistics are asked to see through.
    for _, pieces in articles:
        for piece in pieces:
            for span in sentence_spans(piece):
                sentence = piece[span.start : span.end]
                if not crosslinks.LABEL.search(sentence):
                    yield sentence


def _rule_pieces(text: str) -> list[str]:
    pieces: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            pieces += _rules(line)[0]
    return pieces


def _pieces(line: str, boundaries: BoundaryStats | None) -> tuple[list[str], list[Removed]]:
    pieces, removed = _rules(line)
    pieces, more = _cut_crosslinks(pieces, boundaries)
    return pieces, removed + more


def _rules(line: str) -> tuple[list[str], list[Removed]]:
    if rules.is_control_line(line):
        return [], [Removed(" ".join(line.split()), "controls")]
    if rules.is_link_line(line):
        return [], [Removed(" ".join(line.split()), "links")]
    text = line.strip()
    spans = (
        rules.share_runs(text)
        + rules.link_runs(text)
        + rules.separator_runs(text)
        + rules.share_labels(text)
    )
    return cut(text, spans)


def _cut_crosslinks(
    pieces: list[str], boundaries: BoundaryStats | None
) -> tuple[list[str], list[Removed]]:
    out: list[str] = []
    removed: list[Removed] = []
    for piece in pieces:
        while (found := crosslinks.find(piece, boundaries)) is not None:
            start, end = found
            removed.append(Removed(" ".join(piece[start:end].split()), "cross-link"))
            if piece[:start].strip():
                out.append(piece[:start].strip())
            piece = piece[end:].strip()
        if piece:
            out.append(piece)
    return out, removed


def _cut_recurring(
    pieces: list[str], profile: OutletProfile, opens_text: bool
) -> tuple[list[str], list[Removed]]:
    out: list[str] = []
    removed: list[Removed] = []
    for n, piece in enumerate(pieces):
        left, gone = cut(piece, recurring.spans(piece, profile, opens_text and n == 0))
        out += left
        removed += gone
    return out, removed
