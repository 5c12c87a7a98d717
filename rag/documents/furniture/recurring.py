"""Sentences an outlet prints across many of its stories: promos, sign-offs, contact boxes.

"Learn more", "Source: Al Jazeera and news agencies", "Media playback is not supported on this
device": no rule names them, but each recurs on dozens of one outlet's pages about unrelated
things, which an article's own sentence does not. Counting is per outlet, over sentences
(the chunker's splitter) after the rule-based cuts, and in *stories*, not articles: copies of
one story (updates, the same wire copy) count once, so a sentence shared by a few versions of
one report is never taken for furniture. A sentence recurring in at least `MIN_STORIES`
stories is furniture; so is a recurring *opening* of sentences that is always followed by a
different, capitalised word (a line that lost its line break: "Media playback is not
supported on this device Cook says …").

A dateline ("MOSCOW, February 7. /TASS/.") recurs across a day's reports yet says where and
when the report was filed; a recurring sentence that opens the article and names a day is
kept.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rag.documents.furniture.pieces import bare, ends_sentence, opens_sentence, tokens
from rag.text.dates import names_a_day
from rag.text.sentences import sentence_spans

# Stories a sentence must recur in. The archive's distribution (bench/README.md, "Page
# furniture"): article text shared across different stories stops at 5 (a background box
# DW appends to five refugee stories); promos and sign-offs start at 6 and run to hundreds.
MIN_STORIES = 6
# Two articles are one story when they share this share of their word 5-grams (Jaccard):
# updates and wire copies share most of their text, unrelated stories only their furniture.
SAME_STORY = 0.3
MIN_WORDS = 2  # "Yes." or "4." recurs in interviews and lists; one word is never counted
PREFIX_MIN_WORDS = 4  # shorter recurring openings are names and titles ("Prime Minister")
HEAD_WORDS = 2  # what heads are looked up by (the shortest counted sentence)
PREFIX_MAX_WORDS = 30
CAPITALISED_SHARE = 0.9  # of what follows the opening: a new sentence, nearly always
DISTINCT_SHARE = 0.5  # and a different one each time, not a name that completes it
_SHINGLE = 5
_CAPITALISED = re.compile(r"[\"“‘'(\[]*[A-Z]")
_LOOSE_END = re.compile(r"(?:\s[.-])*-*$")
# Where a sentence glued on may begin: a word opening like one, after a space or right
# after a closing quote ('… Evans."Do you have …', '… "?The Morning Email …').
_TAIL_START = re.compile(r"(?:(?<=\s)|(?<=[\"”’?]))(?=[\"“‘'(\[]*[A-Z0-9])")
_FUNCTION_WORDS = frozenset(
    "a an the of to in on at for by with from and or but as that this these those is are was "
    "were be been has have had will would can could should may might must not no its his her "
    "their our your my who which what when where while if than then so into over under after "
    "before about said says".split()
)


@dataclass(frozen=True)
class OutletProfile:
    """What one outlet's furniture looks like, learnt from its articles."""

    sentences: frozenset[str] = frozenset()  # `key()` of each recurring sentence
    # The last two words of each, to find one glued to the end of another sentence cheaply.
    endings: frozenset[tuple[str, ...]] = frozenset()
    # What may be glued to the front of a sentence, by its first HEAD_WORDS words, longest
    # first: recurring openings, and recurring sentences that end without a stop ("Learn
    # more", "Source: Al Jazeera").
    heads: Mapping[tuple[str, ...], tuple[tuple[str, ...], ...]] = field(default_factory=dict)


def key(sentence: str) -> str:
    """A sentence as it is compared: lower-cased, spaced once, without a trailing "-" (the
    archive's mangled no-break space: "… editorial policy.-") or a stop standing alone."""
    return _LOOSE_END.sub("", " ".join(sentence.lower().split()))


def learn(articles: Sequence[Sequence[str]]) -> OutletProfile:
    """The profile of one outlet from its articles, each given as its pieces of text."""
    units = [[_units(piece) for piece in pieces] for pieces in articles]
    stories = _Stories(articles)
    in_articles: defaultdict[str, set[int]] = defaultdict(set)
    for i, article in enumerate(units):
        for piece in article:
            for unit in piece:
                if len(unit.split()) >= MIN_WORDS:
                    in_articles[key(unit)].add(i)
    sentences = frozenset(
        k for k, ids in in_articles.items() if stories.distinct(ids) >= MIN_STORIES
    )
    endings = frozenset(tuple(k.split()[-2:]) for k in sentences)
    heads: defaultdict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
    for opening in _openings(units, stories):
        heads[opening[:HEAD_WORDS]].add(opening)
    for sentence in sentences:
        if not ends_sentence(sentence):
            words = tuple(sentence.split())
            heads[words[:HEAD_WORDS]].add(words)
    return OutletProfile(
        sentences,
        endings,
        {h: tuple(sorted(found, key=lambda w: (-len(w), w))) for h, found in heads.items()},
    )


def spans(piece: str, profile: OutletProfile, opens_text: bool) -> list[tuple[int, int, str]]:
    """Recurring sentences in `piece`: whole, glued to the front of a sentence (also after
    a colon: "… included: Media playback is not supported …"), or glued to its end.
    `opens_text`: the piece starts the article, so its first sentence may be a dateline."""
    out: list[tuple[int, int, str]] = []
    for n, span in enumerate(sentence_spans(piece)):
        start = span.start
        # A head cut off leaves the rest of its sentence, which may be furniture too.
        while start < span.end:
            unit = piece[start : span.end]
            if key(unit) in profile.sentences:
                dateline = opens_text and n == 0 and start == span.start and names_a_day(unit)
                if not dateline:
                    out.append((start, span.end, "recurring"))
                break
            head = _head(unit, profile)
            if head is not None:
                out.append((start + head[0], start + head[1], "recurring"))
                start += head[2]
                continue
            if (tail := _recurring_tail(unit, profile)) is not None:
                out.append((start + tail, span.end, "recurring"))
            break
    return out


def _head(unit: str, profile: OutletProfile) -> tuple[int, int, int] | None:
    """A recurring head followed by a new sentence, at the start of `unit` or after a word
    ending in a colon: (its start, its end, where to go on), or None."""
    words = unit.lower().split()
    at_start = tuple(words[:HEAD_WORDS]) in profile.heads
    if not at_start and not any(w.endswith(":") for w in words[:-1]):
        return None
    toks = tokens(unit)
    lowered = [t.text.lower() for t in toks]
    starts = [0] + [i + 1 for i, w in enumerate(lowered[:-1]) if w.endswith(":")]
    for first in starts:
        for head in profile.heads.get(tuple(lowered[first : first + HEAD_WORDS]), ()):
            end = first + len(head)
            glued = end < len(toks) and opens_sentence(toks[end].text)
            if glued and tuple(lowered[first:end]) == head:
                # Only a head at the very start moves the scan on; one after a colon is cut
                # and the rest of the sentence kept as it is.
                resume = toks[end].start if first == 0 else len(unit)
                return toks[first].start, toks[end - 1].end, resume
    return None


def _recurring_tail(unit: str, profile: OutletProfile) -> int | None:
    """Where a recurring sentence glued to the end of `unit` begins (a caption or a tweet
    before it lost its full stop: "… pic.twitter.com/x Do you have information …?")."""
    if tuple(key(unit).split()[-2:]) not in profile.endings:
        return None
    for match in _TAIL_START.finditer(unit, 1):
        if key(unit[match.start() :]) in profile.sentences:
            return match.start()
    return None


def _units(piece: str) -> list[str]:
    return [piece[s.start : s.end] for s in sentence_spans(piece)]


def _openings(units: list[list[list[str]]], stories: _Stories) -> list[tuple[str, ...]]:
    """Recurring openings of sentences always followed by a different capitalised word."""
    # Two passes: first the 4-word openings that recur at all, then every longer opening of
    # the sentences that start with one (counting all openings of all sentences is millions).
    heads: defaultdict[tuple[str, ...], set[int]] = defaultdict(set)
    for i, unit in _all_units(units):
        words = tuple(unit.lower().split())
        if len(words) > PREFIX_MIN_WORDS:
            heads[words[:PREFIX_MIN_WORDS]].add(i)
    frequent = {h for h, ids in heads.items() if len(ids) >= MIN_STORIES}
    seen: defaultdict[tuple[str, ...], set[int]] = defaultdict(set)
    after: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for i, unit in _all_units(units):
        original = unit.split()
        words = tuple(w.lower() for w in original)
        if words[:PREFIX_MIN_WORDS] not in frequent:
            continue
        for size in range(PREFIX_MIN_WORDS, min(len(words), PREFIX_MAX_WORDS + 1)):
            seen[words[:size]].add(i)
            after[words[:size]][original[size]] += 1
    return [
        opening
        for opening, ids in seen.items()
        if _ends_like_furniture(opening, after[opening]) and stories.distinct(ids) >= MIN_STORIES
    ]


def _ends_like_furniture(opening: tuple[str, ...], followers: Counter[str]) -> bool:
    last = opening[-1]
    if last[-1:] in ",;:-" or bare(last) in _FUNCTION_WORDS:
        return False
    total = sum(followers.values())
    # A capital or a quote; not a figure, which more often completes the opening ("… rose
    # to 5") than starts a sentence glued on.
    capitalised = sum(n for word, n in followers.items() if _CAPITALISED.match(word))
    return capitalised >= CAPITALISED_SHARE * total and len(followers) >= DISTINCT_SHARE * total


def _all_units(units: list[list[list[str]]]) -> Iterable[tuple[int, str]]:
    for i, article in enumerate(units):
        for piece in article:
            for unit in piece:
                yield i, unit


class _Stories:
    """Counts distinct stories among articles: an article joins the first counted one it
    shares at least SAME_STORY of its word 5-grams with."""

    def __init__(self, articles: Sequence[Sequence[str]]) -> None:
        self._articles = articles
        # crc32, not hash(): the same counts in every process (hash() is salted per run).
        self._shingles: dict[int, frozenset[int]] = {}

    def distinct(self, ids: Iterable[int], enough: int = MIN_STORIES) -> int:
        ids = sorted(ids)
        if len(ids) < enough:
            return len(ids)
        kept: list[frozenset[int]] = []
        for i in ids:
            mine = self._of(i)
            if all(_jaccard(mine, other) < SAME_STORY for other in kept):
                kept.append(mine)
                if len(kept) >= enough:
                    break
        return len(kept)

    def _of(self, i: int) -> frozenset[int]:
        if i not in self._shingles:
            words = " ".join(self._articles[i]).lower().split()
            self._shingles[i] = frozenset(
                zlib.crc32(" ".join(words[j : j + _SHINGLE]).encode())
                for j in range(len(words) - _SHINGLE + 1)
            )
        return self._shingles[i]


def _jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
