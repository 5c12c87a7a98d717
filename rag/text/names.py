"""Names in a question: where they are, which words go with a name without being it, and which
names no article mentions.

Capitalisation is the signal: a run of capitalised words (or acronyms) that does not open a
sentence is a name ("the SCO summit in Astana" gives "SCO", "Astana"). Honorifics and place
qualifiers are words that go with a name without being it: "President Trump" is known when
"Trump" is, "North Korea" only when "Korea" is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.text.dates import CALENDAR_WORDS
from rag.text.words import CASED_WORD, STOPWORDS, bare

# Who reported it ("according to DW", "the Reuters report"): an outlet is seldom named in its
# own text, so such a name never has to be found in an article.
ATTRIBUTED_BY = re.compile(r"\b(?:according to|reported by|by|per)\s+(?:the\s+)?$", re.I)
_ATTRIBUTION_OF = re.compile(
    r"(?:'s)?\s+(?:article|report|reporting|story|piece|interview|reporter|correspondent)", re.I
)
_SENTENCE_START = re.compile(r"(?:^|[.?!:;\"“(]\s*)$")
# Words that go with a name without being it: "President Trump" is known when "Trump" is.
HONORIFICS = frozenset(
    (
        "mr mrs ms miss dr sir dame lord lady president vice prime minister chancellor premier "
        "king queen prince princess pope general gen senator sen governor gov secretary "
        "ambassador judge justice mayor chairman chairwoman chair ceo sheikh emir ayatollah"
    ).split()
)
# Words that qualify a place name: "North Korea" is known only when "Korea" is.
QUALIFIERS = frozenset(
    "north south east west northern southern eastern western new upper lower greater".split()
)


def name_spans(question: str) -> list[tuple[int, int]]:
    """Where the question's names are: runs of capitalised words (or acronyms) that do not
    start a sentence, without calendar words ("the SCO summit in Astana" gives "SCO",
    "Astana")."""
    spans: list[tuple[int, int]] = []
    run_start = run_end = -1
    for match in CASED_WORD.finditer(question):
        word = match.group()
        is_name = (
            word[:1].isupper()
            and _SENTENCE_START.search(question, 0, match.start()) is None
            and word.lower() not in STOPWORDS
            and word.lower() not in CALENDAR_WORDS
        )
        if is_name and run_start >= 0 and question[run_end : match.start()] == " ":
            run_end = match.end()
            continue
        if run_start >= 0:
            spans.append((run_start, run_end))
            run_start = -1
        if is_name:
            run_start, run_end = match.start(), match.end()
    if run_start >= 0:
        spans.append((run_start, run_end))
    return spans


def attributed_spans(question: str) -> list[tuple[int, int]]:
    """The names that say who reported it ("according to DW")."""
    return [(s, e) for s, e in name_spans(question) if ATTRIBUTED_BY.search(question, 0, s)]


def unknown_names(question: str, mentioned: Callable[[str], bool]) -> list[str]:
    """The question's names that no article can be about: `mentioned` knows neither the
    name's last word nor all of its words. Lenient on purpose, since a refusal here is final:
    honorifics do not count ("President Trump" needs only "Trump"), a known last word will do
    (the surname alone: "Vladimir Putin" when articles say "Putin"), and `mentioned` itself
    accepts transliterations. Not handled: a family name first ("Xi" of "Xi Jinping").
    Who published an article ("according to DW", "the Reuters report") is often not in its
    text, so such names never count as unknown."""
    unknown = []
    for start, end in name_spans(question):
        name = question[start:end]
        if ATTRIBUTED_BY.search(question, 0, start) or _ATTRIBUTION_OF.match(question, end):
            continue
        words = [w for w in name.split() if bare(w).strip(".") not in HONORIFICS]
        own = [w for w in words if bare(w) not in QUALIFIERS] or words
        # The last word is the surname or the head ("World Cup" needs "Cup", not "World").
        if own and not mentioned(own[-1]) and not all(mentioned(word) for word in own):
            unknown.append(name)
    return unknown
