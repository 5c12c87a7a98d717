"""Cross-links: "READ MORE: <headline of another article>" and its kin inside an article.

The label is easy; where the headline ends is not when the page's line breaks are gone (the
news archive): "READ MORE: Losing everything in Avdiivka Russia knows this and …". On a line
of its own the headline is the rest of the line. Glued to the next sentence, the cut goes at
the first place where a new sentence is likely to begin, judged by corpus statistics
(`BoundaryStats`): the word before ends sentences, the word after starts them, and the two
are rarely seen side by side ("Avdiivka Russia" is not a phrase; "Prime Minister" is). The
first such place is taken, not the best, because a cut too early leaves a few words of
headline while a cut too late loses the article's own sentence; for the same reason a glued
headline is never taken to run past MAX_HEADLINE_WORDS. Without statistics (an uploaded
file) only a question mark, an opening quote or a common sentence opener ("The", "He") ends
the headline. Failing all that only the label goes.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rag.documents.furniture.pieces import (
    Token,
    bare,
    ends_sentence,
    sentence_starts,
    tokens,
)

_PHRASES = (
    "read more|read also|also read|read|related stories|related articles|related coverage|"
    "related|see also|more on this story|watch|opinion|interactive|in pictures|recommended|"
    "don't miss|don’t miss"
)
# A capital first (prose says "the sign read: …"), then the label in any case, then ":" (the
# archive often has ":-" where a no-break space was) or a spaced dash.
LABEL = re.compile(rf"(?=[A-Z])(?i:{_PHRASES})(?:\s*:-?|\s+-)(?=\s*\S)")
MIN_HEADLINE_WORDS = 2
# A headline glued to the next sentence is cut within this many words, else only the label
# goes: of the archive's 729 cross-links, the 9 cuts the statistics placed further on were 7
# inside the next sentence (losing its start) and 2 long headlines.
MAX_HEADLINE_WORDS = 12
# On a line of its own, the rest of the line is the headline if it is at most this long.
MAX_LINE_HEADLINE_WORDS = 25
# The cut goes at the first place scoring at least this (log odds of a sentence boundary),
# else at the first place scoring at least MIN_WEAK_SCORE. Chosen by reading the archive's
# cross-links (bench/README.md, "Page furniture"): true boundaries mostly score 2 to 5,
# places inside a headline mostly below 1.
MIN_BOUNDARY_SCORE = 2.0
MIN_WEAK_SCORE = 0.0
_PRIOR_WEIGHT = 3.0
_CAPITAL_OR_QUOTE = re.compile(r"[\"“‘'(\[]*[A-Z]")
# After these a headline cannot end ("… in", "… of the", "…, says").
_FUNCTION_WORDS = frozenset(
    "a an the of to in on at for by with from and or but as that this these those is are was "
    "were be been being has have had will would can could should may might must not no its "
    "his her their our your my who whom whose which what when where while if than then so "
    "into over under after before about against between during without within via per says "
    "said told".split()
)
# Words that open sentences far more often than they continue a headline (not "I", which
# is capitalised wherever it stands).
_OPENERS = frozenset(
    "the a an he she it they we in on at but this that these those his her their its "
    "according after before while when as since however meanwhile earlier last some many "
    "most there one if for with by from".split()
)


@dataclass
class BoundaryStats:
    """Word counts from a corpus's sentences, for judging where a glued headline ends."""

    words: Counter[str] = field(default_factory=Counter)  # bare word, case kept
    lower: Counter[str] = field(default_factory=Counter)
    starts: Counter[str] = field(default_factory=Counter)  # first words of sentences
    ends: Counter[str] = field(default_factory=Counter)  # last words, lower-cased
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (previous lower, word)
    total: int = 0
    sentences: int = 0
    capital_start_rate: float = 0.25

    @classmethod
    def count(cls, sentences: Iterable[str], wanted_pairs: set[tuple[str, str]]) -> BoundaryStats:
        """Counts over `sentences`; of word pairs only `wanted_pairs` (all would be millions)."""
        stats = cls()
        seconds = {w for _, w in wanted_pairs}
        for sentence in sentences:
            words = [w for w in map(_stat_word, sentence.split()) if w]
            if not words:
                continue
            stats.sentences += 1
            stats.starts[words[0]] += 1
            stats.ends[words[-1].lower()] += 1
            stats.total += len(words)
            stats.words.update(words)
            if seconds.isdisjoint(words):
                continue
            lower = ["", *(w.lower() for w in words)]
            stats.pairs.update(p for p in zip(lower, words, strict=False) if p in wanted_pairs)
        capitals = sum(n for w, n in stats.words.items() if w[:1].isupper())
        capital_starts = sum(n for w, n in stats.starts.items() if w[:1].isupper())
        if capitals:
            stats.capital_start_rate = capital_starts / capitals
        for w, n in stats.words.items():
            stats.lower[w.lower()] += n
        return stats

    def score(self, prev: str, word: str) -> float:
        """Log odds that a sentence ends after `prev` and the next begins with `word`, as
        lifts over chance: how much more often than the average word `prev` ends sentences
        and `word` starts them, against how much more often than chance `word` follows
        `prev`. Each lift leans toward its corpus-wide value when the words are rare, so a
        rare name is neither a sure start nor a sure continuation."""
        p, w = _stat_word(prev).lower(), _stat_word(word)
        total = max(self.total, 1)
        base = max(self.sentences, 1) / total  # share of words that end (or start) sentences
        start_prior = self.capital_start_rate if w[:1].isupper() else base
        end_lift = (self.ends[p] + _PRIOR_WEIGHT * base) / (self.lower[p] + _PRIOR_WEIGHT) / base
        start_lift = (
            (self.starts[w] + _PRIOR_WEIGHT * start_prior) / (self.words[w] + _PRIOR_WEIGHT) / base
        )
        expected = self.lower[p] * self.words[w] / total
        pair_lift = (self.pairs[(p, w)] + 1) / (expected + 1)
        return math.log(end_lift * start_lift / pair_lift)


def find(text: str, stats: BoundaryStats | None) -> tuple[int, int] | None:
    """The first cross-link (label and headline) in `text`, as a span, or None."""
    for match in labels(text):
        return match.start(), headline_end(text, match.end(), stats)
    return None


def labels(text: str) -> Iterator[re.Match[str]]:
    """Cross-link labels where a sentence starts; one in capitals ("READ MORE:") wherever a
    word starts, since prose never has one, and captions and tweets end without a stop."""
    starts = set(sentence_starts(text))
    for match in LABEL.finditer(text):
        at = match.start()
        in_capitals = match.group().rstrip(" :-").isupper()
        if at in starts or ((at == 0 or text[at - 1].isspace()) and in_capitals):
            yield match


def wanted_pairs(text: str) -> set[tuple[str, str]]:
    """The word pairs `find` may ask the statistics about, for counting only those."""
    pairs = set()
    for match in labels(text):
        toks = _following(text, match.end())[: MAX_HEADLINE_WORDS + 1]
        for prev, tok in itertools.pairwise(toks):
            pairs.add((_stat_word(prev.text).lower(), _stat_word(tok.text)))
    return pairs


def headline_end(text: str, after_label: int, stats: BoundaryStats | None) -> int:
    """Where the headline after a label ends: the line's end when the rest of the line is
    short, else the first likely sentence start (see the module docstring)."""
    toks = _following(text, after_label)
    if not toks:
        return after_label
    last = toks[-1].text.rstrip("\"”’')]")
    if (
        len(toks) <= MAX_LINE_HEADLINE_WORDS
        and not any(ends_sentence(t.text) for t in toks[:-1])
        and not last.endswith(".")
    ):
        return len(text)  # the headline is all that is left: a line of its own
    weak: int | None = None  # the first place scoring under the bar but above MIN_WEAK_SCORE
    for i in range(1, min(len(toks), MAX_HEADLINE_WORDS + 1)):
        prev, tok = toks[i - 1], toks[i]
        if LABEL.match(text, tok.start) or prev.text.rstrip("\"”’')]").endswith(("?", "!")):
            return prev.end  # another cross-link, or a headline asking a question
        if ends_sentence(prev.text):
            break  # a headline rarely ends in a full stop: this one is the article's
        if i < MIN_HEADLINE_WORDS or not _may_end_headline(prev.text, tok.text):
            continue
        if stats is None:
            if tok.text[:1] in '"“' or bare(tok.text) in _OPENERS:
                return prev.end
            continue
        score = stats.score(prev.text, tok.text)
        # A capitalised "The", "He", "In" inside a sentence-case headline is rare, so one of
        # those needs only a plausible score.
        opener = tok.text[:1].isupper() and bare(tok.text) in _OPENERS
        if score >= MIN_BOUNDARY_SCORE or (opener and score >= MIN_WEAK_SCORE):
            return prev.end
        if score >= MIN_WEAK_SCORE and weak is None:
            weak = prev.end
    # No clear place: the first plausible one, else the label alone (never a sentence).
    return weak if weak is not None else after_label


def _following(text: str, start: int) -> list[Token]:
    """Up to MAX_LINE_HEADLINE_WORDS + 1 tokens from `start`, with offsets into `text`."""
    toks = []
    for tok in tokens(text[start : start + 40 * (MAX_LINE_HEADLINE_WORDS + 1)]):
        toks.append(Token(tok.start + start, tok.end + start, tok.text))
        if len(toks) > MAX_LINE_HEADLINE_WORDS:
            break
    return toks


def _may_end_headline(prev: str, word: str) -> bool:
    # "Iran-" is the archive's mangled no-break space, but a dash of its own joins a title
    # to its subtitle ("Flint - The city where …"). A figure more often ends a headline
    # ("… kills 28") than starts the sentence after it.
    if not _CAPITAL_OR_QUOTE.match(word) or prev[-1:] in ",;:" or prev in ("-", "–", "—", "|"):
        return False
    return bare(prev) not in _FUNCTION_WORDS


def _stat_word(token: str) -> str:
    return token.strip(".,;:!?\"“”‘’'()[]{}-")
