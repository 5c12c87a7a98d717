"""Check every inline citation of a generated answer against the passages, in code.

A small model cites the wrong passage and misreads figures. After generation each sentence is
checked: the dates and numbers it states must appear in (or be a resolved date of) a passage it
cites. A wrong citation is moved to a passage that does support the sentence; a figure that no
passage supports is dropped with a note. What comes out only cites what supports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.compose.verified import REFUSAL_MARKER, Verified, refusal
from rag.text.dates import CALENDAR_WORDS, normalise_days
from rag.text.facts import Evidence, Facts, claim_facts
from rag.text.markers import cited_sentences
from rag.text.roles import RoleClaim, role_claims
from rag.text.sentences import sentence_spans
from rag.text.words import tokens
from rag.types import Citation, Passage, Statement

_REFUSAL_PHRASES = re.compile(
    r"not in (the )?articles|(do|does) not (contain|mention|say|provide|specify)|"
    r"no information|not (mentioned|specified|stated|provided)|cannot (be )?(answer|determine)",
    re.IGNORECASE,
)
# Share of a sentence's content words a passage must contain to back a sentence with no figures.
MIN_OVERLAP = 0.5
# Share of its words a passage must share with a sentence to take over its citation.
MIN_MOVE_OVERLAP = 0.3


@dataclass(frozen=True)
class _Sentence:
    text: str
    cited: tuple[int, ...]  # 0-based passage indexes the model cited


@dataclass(frozen=True)
class _PassageView:
    passage: Passage
    # One per sentence, each covering that sentence and its neighbours: a figure and a year
    # back a claim only when they sit together, not anywhere in the same 800-character chunk
    # ("$190 billion in 2022 … trade in 2024" is no support for "$190 billion in 2024").
    windows: tuple[Evidence, ...]
    words: frozenset[str]
    sentences: tuple[str, ...]

    @classmethod
    def of(cls, passage: Passage) -> _PassageView:
        chunk = passage.chunk
        spans = sentence_spans(chunk.text) or []
        if len(spans) <= 3:
            windows = (Evidence.of(chunk.text, chunk.date, chunk.dates),)
        else:
            windows = tuple(
                Evidence.of(
                    chunk.text[spans[max(0, i - 1)].start : spans[min(len(spans) - 1, i + 1)].end],
                    chunk.date,
                )
                for i in range(len(spans))
            )
        words = frozenset(tokens(chunk.annotated + " " + chunk.title))
        sentences = tuple(chunk.text[s.start : s.end] for s in spans) or (chunk.text,)
        return cls(passage, windows, words, sentences)

    def supports(self, facts: Facts) -> bool:
        return any(window.supports(facts) for window in self.windows)

    def states(self, claim: RoleClaim) -> bool:
        return any(claim.backed_by(s) for s in self.sentences)


def verify_answer(raw: str, passages: list[Passage]) -> Verified:
    """Repair or drop citations so each one supports its sentence; renumber them 1..n."""
    raw = raw.strip()
    if not raw or REFUSAL_MARKER in raw.upper() or not passages:
        return refusal()
    views = [_PassageView.of(p) for p in passages]
    notes: list[str] = []
    kept: list[tuple[str, list[int]]] = []
    for sentence in _sentences(raw, len(passages), notes):
        supporting = _supporting(sentence, views, notes)
        if supporting is None:
            continue
        kept.append((sentence.text, supporting))
    if not kept or all(_REFUSAL_PHRASES.search(text) and not cites for text, cites in kept):
        return refusal(notes)
    statements = [
        Statement(normalise_days(text), tuple(_citation(text, views[i]) for i in backers))
        for text, backers in kept
    ]
    return Verified(statements, answered=True, notes=notes)


def _sentences(raw: str, n_passages: int, notes: list[str]) -> list[_Sentence]:
    out = []
    for part in cited_sentences(raw):
        cited: list[int] = []
        for n in part.numbers:
            if 1 <= n <= n_passages:
                cited.append(n - 1)
            else:
                notes.append(f"dropped citation [{n}]: no such passage")
        out.append(_Sentence(part.text, tuple(cited)))
    return out


def _supporting(
    sentence: _Sentence, views: list[_PassageView], notes: list[str]
) -> list[int] | None:
    """Passage indexes that back the sentence; None drops the sentence."""
    roles = role_claims(sentence.text)
    if roles and not any(all(v.states(r) for r in roles) for v in views):
        notes.append(f"removed role claim no source sentence states: {sentence.text!r}")
        return None
    facts = claim_facts(sentence.text)
    words = set(tokens(sentence.text))
    if not facts.empty:
        good = [i for i in sentence.cited if views[i].supports(facts)]
        if good:
            return good
        # Several passages together may back a sentence that joins two articles.
        backers = _cover(facts, views, sentence.cited, words)
        if backers:
            if sentence.cited:
                notes.append(
                    f"moved citation for {facts.describe()!r} from "
                    f"{_numbers(sentence.cited)} to {_numbers(backers)}"
                )
            return backers
        notes.append(
            f"removed claim not supported by any passage ({facts.describe()}): {sentence.text!r}"
        )
        return None
    if not words:
        return []
    overlaps = [len(words & v.words) / len(words) for v in views]
    good = [i for i in sentence.cited if overlaps[i] >= MIN_OVERLAP]
    if good:
        return good
    best = max(range(len(views)), key=lambda i: overlaps[i])
    if overlaps[best] >= MIN_OVERLAP:
        if sentence.cited:
            notes.append(f"moved citation from {_numbers(sentence.cited)} to [{best + 1}]")
        return [best]
    if sentence.cited:
        notes.append(f"removed unsupported citation {_numbers(sentence.cited)}")
    return []


def _cover(
    facts: Facts, views: list[_PassageView], preferred: tuple[int, ...], words: set[str]
) -> list[int]:
    """Passages that hold the sentence's facts and share enough of its words: "In March" is
    no support for "Putin skipped the summit in March" if March was when a warrant issued."""
    order = [
        i
        for i in [*preferred, *(i for i in range(len(views)) if i not in preferred)]
        if not words or len(words & views[i].words) / len(words) >= MIN_MOVE_OVERLAP
    ]
    for i in order:
        if views[i].supports(facts):
            return [i]
    # Greedy: each fact from the best-ranked passage that has it.
    chosen: list[int] = []
    for fact in facts.each():
        backer = next((i for i in order if views[i].supports(fact)), None)
        if backer is None:
            return []
        if backer not in chosen:
            chosen.append(backer)
    # One passage holding each fact in a different place does not back them together.
    return chosen if len(chosen) > 1 else []


def _numbers(indexes: tuple[int, ...] | list[int]) -> str:
    return "".join(f"[{i + 1}]" for i in indexes)


def _citation(sentence: str, view: _PassageView) -> Citation:
    start, end = _quote_span(sentence, view)
    return Citation.of(view.passage.chunk, start, end)


def _quote_span(sentence: str, view: _PassageView) -> tuple[int, int]:
    """The passage sentence(s) that back the claim: the one holding its facts, plus the one
    sharing most words with it when that is its neighbour (a date often sits one sentence
    before the event it dates)."""
    chunk = view.passage.chunk
    spans = sentence_spans(chunk.text)
    if not spans:
        return 0, len(chunk.text)
    facts = claim_facts(sentence)
    # Figures and month names are matched through `facts`; counting them as words would pull
    # in datelines that merely share "July" or "2024".
    words = {w for w in tokens(sentence) if not w.isdigit() and w not in CALENDAR_WORDS}
    anchor_date = chunk.date

    def fact_hits(i: int) -> int:
        span = spans[i]
        ev = Evidence.of(chunk.text[span.start : span.end], anchor_date)
        return sum(ev.supports(f) for f in facts.each())

    def overlap(i: int) -> int:
        span = spans[i]
        return len(words & set(tokens(chunk.text[span.start : span.end])))

    by_facts = max(range(len(spans)), key=lambda i: (fact_hits(i), overlap(i)))
    by_words = max(range(len(spans)), key=overlap)
    first, last = sorted((by_facts, by_words))
    if facts.empty or last - first > 1:
        first = last = by_facts if not facts.empty else by_words
    return spans[first].start, spans[last].end
