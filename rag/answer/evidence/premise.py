"""Does what the question takes for granted happen in the articles?

"Why did Mark Rutte resign after the Dutch election?" assumes a resignation. If the retrieved
articles name Rutte but none of their passages reports him resigning (in those words or a
synonym), the honest answer is a correction, not an explanation. The same holds for a question
that puts words in the wrong mouth ("What did Obama say…" where only Trump is quoted) and for
one that dates an event to a year no report gives it.

Checked over the retrieved pool, cheaply first: participants per article, the predicate per
passage (stems, no parsing), the year per passage; only a speaker check parses sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag.answer.evidence.matching import SentenceMatch
from rag.answer.question.analysis import AnalysedQuestion, Premise
from rag.text.claims import same_name, speakers
from rag.text.dates import find_dates
from rag.text.nlp import Pipeline
from rag.text.sentences import sentence_spans
from rag.text.subject import name_in
from rag.types import Passage

# Source sentences parsed for a speaker check, best-matching first: enough for a pool, few
# enough to stay well under a second.
MAX_SPEECH_SENTENCES = 24


@dataclass(frozen=True)
class PremiseCheck:
    holds: bool
    lacking: str = ""  # "event", "year" or "speaker": what no passage gives
    # What the articles do say about the participants: the best-matching sentence of a
    # passage that names them, for the correction to quote.
    closest: SentenceMatch | None = None
    speaker: str = ""  # who they quote instead, when `lacking` is "speaker"


HOLDS = PremiseCheck(True)


def participant_in(text: str, name: str) -> bool:
    """Whether `text` names `name`: its head word (the surname, the head of "Best Actor"),
    however the text spells, hyphenates or inflects it (`rag.text.subject.name_in`)."""
    return name_in(text, name)


def in_article(passage: Passage, name: str, article_text: Callable[[Passage], str]) -> bool:
    """Whether the passage's article, headline and whole text, names `name`."""
    return participant_in(f"{passage.chunk.title}\n{article_text(passage)}", name)


def check_premise(
    question: AnalysedQuestion,
    pool: list[Passage],
    matches: list[SentenceMatch],
    article_text: Callable[[Passage], str],
    nlp: Pipeline,
) -> PremiseCheck:
    premise = question.premise
    if not premise.participants or not pool:
        # Nothing named to look for ("When did he die?" before a rewrite): no verdict.
        return HOLDS
    about = [
        i
        for i, p in enumerate(pool)
        if all(in_article(p, n, article_text) for n in premise.participants)
    ]
    if not about:
        return HOLDS  # the pool is not about them: unanswerable, not a false premise
    closest = _closest(matches, about)
    with_event = about
    # "Which country hosted the summit?" asks who did it: its verb is what is asked about,
    # not a claim about anyone, so only a premise that names its doer ("Why did Rutte
    # resign?") is checked for its event.
    if premise.predicate and premise.clause:
        with_event = [i for i in about if premise.stated_in(pool[i].chunk.text)]
        if not with_event:
            return PremiseCheck(False, "event", closest)
    if premise.years:
        dated = [i for i in with_event if in_year(pool[i], premise.years)]
        if not dated:
            # What they report of the event itself, in whatever year they give it.
            stating = [m for m in matches if premise.stated_in(m.text)]
            return PremiseCheck(
                False, "year", _closest(stating, with_event) or _closest(matches, with_event)
            )
        with_event = dated
    if premise.speaker:
        quoted, other = _quoted(premise, matches, with_event, pool, nlp, article_text)
        if not quoted:
            best = other or (_closest(matches, with_event), "")
            return PremiseCheck(False, "speaker", best[0] or closest, best[1])
    return HOLDS


def _is(found: str | None, speaker: str) -> bool:
    return found is not None and same_name(found, speaker)


def _closest(matches: list[SentenceMatch], indexes: list[int]) -> SentenceMatch | None:
    wanted = set(indexes)
    return max(
        (m for m in matches if m.passage_index in wanted),
        key=lambda m: (m.score, -m.passage_index),
        default=None,
    )


def in_year(passage: Passage, years: frozenset[int]) -> bool:
    """The passage dates its report in one of `years`: a date it gives (resolved ones
    included), or, giving none, its article's publication year."""
    chunk = passage.chunk
    mentioned = {d.year for d in chunk.dates}
    mentioned |= {m.value.year for m in find_dates(chunk.text, chunk.date)}
    if mentioned:
        return bool(mentioned & years)
    return chunk.date is not None and chunk.date.year in years


def _quoted(
    premise: Premise,
    matches: list[SentenceMatch],
    indexes: list[int],
    pool: list[Passage],
    nlp: Pipeline,
    article_text: Callable[[Passage], str],
) -> tuple[bool, tuple[SentenceMatch, str] | None]:
    """Whether a passage quotes the premise's speaker on its topic (a pronoun or description
    counts as the person named just before it); else the best-matching sentence that quotes
    someone else on it, and who."""
    speaker = premise.speaker
    if speaker is None:
        return True, None
    wanted = set(indexes)
    candidates = sorted(
        (m for m in matches if m.passage_index in wanted and not premise.unnamed_topic(m.text)),
        key=lambda m: (-m.score, m.passage_index, m.start),
    )[:MAX_SPEECH_SENTENCES]
    parsed = nlp.parse_many([m.text for m in candidates])
    other: tuple[SentenceMatch, str] | None = None
    for m, p in zip(candidates, parsed, strict=True):
        for who in speakers(p):
            if who.named and same_name(who.text, speaker):
                return True, None
            passage = pool[m.passage_index]
            if not who.named and _is(
                unnamed_speaker(passage, m.start, nlp, article_text(passage)), speaker
            ):
                return True, None
            if other is None and who.named:
                other = (m, who.text)
    return False, other


def unnamed_speaker(passage: Passage, start: int, nlp: Pipeline, article: str = "") -> str | None:
    """Who "he" or "the Russian leader" at offset `start` of the chunk is: the last person
    named in the two sentences before it, in the chunk or, at a chunk's start, in its
    `article`; None when they name none. No coreference model ships with the pipeline; news
    prose names a person just before it refers back to them by pronoun or description."""
    chunk = passage.chunk
    before = chunk.text[:start]
    if len(sentence_spans(before)) < 2 and article:
        at = article.find(chunk.text[start : start + 60])
        before = article[:at] if at > 0 else before
    previous = sentence_spans(before)[-2:]
    texts = [before[s.start : s.end] for s in previous]
    for parsed in reversed(nlp.parse_many(texts)):
        people = [e.text for e in parsed.entities if e.label == "PERSON"]
        if people:
            return people[-1]
    return None
