"""Check every inline citation of a generated answer against the passages, in code.

A small model cites the wrong passage and misreads figures. After generation each sentence is
checked: the dates and numbers it states must appear in (or be a resolved date of) a passage it
cites. A wrong citation is moved to a passage that does support the sentence; a figure that no
passage supports is dropped with a note. What comes out only cites what supports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.text.dates import MONTHS, find_dates, format_day
from rag.text.facts import Evidence, Facts, claim_facts
from rag.text.roles import RoleClaim, role_claims
from rag.text.sentences import sentence_spans, split_sentences
from rag.text.words import tokens
from rag.types import Citation, Passage

REFUSAL_MARKER = "NOT IN ARTICLES"
REFUSAL_TEXT = "The articles do not contain the answer to this question."
_MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# Resolved-date brackets the model copied from a passage ("Thursday [4 July 2024]").
_DATE_BRACKETS = re.compile(r"\s*\[((?:week of )?(?:\d{1,2} )?(?:[A-Z][a-z]+ )?\d{4})\]")
_REFUSAL_PHRASES = re.compile(
    r"not in (the )?articles|(do|does) not (contain|mention|say|provide|specify)|"
    r"no information|not (mentioned|specified|stated|provided)|cannot (be )?(answer|determine)",
    re.IGNORECASE,
)
_MONTH_WORDS = frozenset(m.lower() for m in MONTHS)
# Share of a sentence's content words a passage must contain to back a sentence with no figures.
MIN_OVERLAP = 0.5
# Share of its words a passage must share with a sentence to take over its citation.
MIN_MOVE_OVERLAP = 0.3


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    answered: bool
    notes: list[str] = field(default_factory=list)


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
        return Verified(REFUSAL_TEXT, [], answered=False)
    views = [_PassageView.of(p) for p in passages]
    notes: list[str] = []
    kept: list[tuple[str, list[int]]] = []
    for sentence in _sentences(raw, len(passages), notes):
        supporting = _supporting(sentence, views, notes)
        if supporting is None:
            continue
        kept.append((sentence.text, supporting))
    if not kept or all(_REFUSAL_PHRASES.search(text) and not cites for text, cites in kept):
        return Verified(REFUSAL_TEXT, [], answered=False, notes=notes)
    return _render(kept, views, notes)


def _sentences(raw: str, n_passages: int, notes: list[str]) -> list[_Sentence]:
    out = []
    for part in split_sentences(_DATE_BRACKETS.sub(r" (\1)", raw)):
        cited: list[int] = []
        for group in _MARKERS.findall(part):
            for number in group.split(","):
                n = int(number)
                if 1 <= n <= n_passages:
                    cited.append(n - 1)
                else:
                    notes.append(f"dropped citation [{n}]: no such passage")
        text = _MARKERS.sub("", part).strip()
        if text:
            out.append(_Sentence(text, tuple(dict.fromkeys(cited))))
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
    for fact in _split(facts):
        backer = next((i for i in order if views[i].supports(fact)), None)
        if backer is None:
            return []
        if backer not in chosen:
            chosen.append(backer)
    # One passage holding each fact in a different place does not back them together.
    return chosen if len(chosen) > 1 else []


def _split(facts: Facts) -> list[Facts]:
    empty: frozenset = frozenset()
    return (
        [Facts(frozenset({n}), empty, empty, empty) for n in facts.numbers]
        + [Facts(empty, frozenset({d}), empty, empty) for d in facts.days]
        + [Facts(empty, empty, frozenset({m}), empty) for m in facts.months]
        + [Facts(empty, empty, empty, frozenset({y})) for y in facts.years]
        + [Facts(empty, empty, empty, empty, frozenset({m})) for m in facts.month_names]
    )


def _numbers(indexes: tuple[int, ...] | list[int]) -> str:
    return "".join(f"[{i + 1}]" for i in indexes)


def normalise_days(text: str) -> str:
    """Write every full date one way, "3 July 2024": "07/03", "July 3" and "3 July" read
    differently around the world, and one form is easy to check by eye against the quote."""
    for m in reversed(find_dates(text, None)):
        if m.granularity != "day" or m.relative:
            continue
        weekday = re.match(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),? ", m.text)
        prefix = f"{weekday.group(1)}, " if weekday else ""
        text = text[: m.start] + prefix + format_day(m.value) + text[m.end :]
    return text


def _render(
    kept: list[tuple[str, list[int]]], views: list[_PassageView], notes: list[str]
) -> Verified:
    numbering: dict[tuple[int, str], int] = {}
    citations: list[Citation] = []
    sentences_out: list[str] = []
    for text, backers in kept:
        markers = []
        for i in backers:
            quote_start, quote_end = _quote_span(text, views[i])
            key = (i, f"{quote_start}:{quote_end}")
            if key not in numbering:
                numbering[key] = len(citations) + 1
                chunk = views[i].passage.chunk
                citations.append(
                    Citation(
                        n=numbering[key],
                        source=chunk.source,
                        start=chunk.start + quote_start,
                        end=chunk.start + quote_end,
                        quote=chunk.text[quote_start:quote_end],
                        date=chunk.date,
                        chunk_id=chunk.chunk_id,
                        title=chunk.title,
                        outlet=chunk.outlet,
                    )
                )
            markers.append(f"[{numbering[key]}]")
        body = text.rstrip()
        end = ""
        if body and body[-1] in ".!?":
            body, end = body[:-1], body[-1]
        body = normalise_days(body)
        sentences_out.append(f"{body} {''.join(markers)}{end}" if markers else f"{body}{end}")
    return Verified(" ".join(sentences_out), citations, answered=True, notes=notes)


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
    words = {w for w in tokens(sentence) if not w.isdigit() and w not in _MONTH_WORDS}
    anchor_date = chunk.date

    def fact_hits(i: int) -> int:
        span = spans[i]
        ev = Evidence.of(chunk.text[span.start : span.end], anchor_date)
        return sum(ev.supports(f) for f in _split(facts))

    def overlap(i: int) -> int:
        span = spans[i]
        return len(words & set(tokens(chunk.text[span.start : span.end])))

    by_facts = max(range(len(spans)), key=lambda i: (fact_hits(i), overlap(i)))
    by_words = max(range(len(spans)), key=overlap)
    first, last = sorted((by_facts, by_words))
    if facts.empty or last - first > 1:
        first = last = by_facts if not facts.empty else by_words
    return spans[first].start, spans[last].end
