"""What a question asks for and what it takes for granted, worked out once per question.

The answer type says what an answer must hold: a person or organisation ("who"), a place
("where"), a country, a count ("how many"), an amount ("how much"), an ordinal ("which
anniversary"), a date ("when"), a work ("which film"), a statement by someone ("what did X
say"), a reason ("why"). The premise is what the question assumes happened: its participants
(the names it mentions), its predicate (the event: "resign", "say", "win") and its time (a year
it names). An answer must hold all of it; a premise no article holds is a false premise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache

from rag.text.claims import (
    LIGHT_VERBS,
    SPEECH_VERBS,
    SUPPORT_VERBS,
    holds_noun,
    holds_predicate,
    names,
)
from rag.text.dates import find_dates
from rag.text.names import attributed_spans
from rag.text.nlp import Parsed, Pipeline
from rag.text.numbers import YEAR
from rag.text.sentences import last_question
from rag.text.subject import name_in
from rag.text.time_phrases import TimeScope
from rag.text.words import STOPWORDS, tokens

DATE_QUESTION = re.compile(
    r"^\s*(?:on\s+|in\s+)?(?:what|which)\s+(?:exact\s+)?(?:date|day)\b|^\s*when\b", re.IGNORECASE
)
_YEAR_OR_MONTH_QUESTION = re.compile(r"\b(?:what|which)\s+(?:month|year)\b", re.IGNORECASE)


def is_date_question(question: str) -> bool:
    return bool(DATE_QUESTION.search(question))


class AnswerKind(Enum):
    DATE = "date"
    COUNT = "count"
    AMOUNT = "amount"
    ORDINAL = "ordinal"
    PERSON = "person"  # a person or an organisation
    PLACE = "place"
    COUNTRY = "country"
    WORK = "work"
    STATEMENT = "statement"
    REASON = "reason"
    OTHER = "other"

    @property
    def is_figure(self) -> bool:
        return self in (AnswerKind.COUNT, AnswerKind.AMOUNT, AnswerKind.ORDINAL)

    @property
    def labels(self) -> frozenset[str]:
        """The spaCy entity labels an answer of this kind is; empty where no label fits."""
        return _LABELS.get(self, frozenset())


_LABELS = {
    AnswerKind.COUNT: frozenset({"CARDINAL", "QUANTITY"}),
    AnswerKind.AMOUNT: frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
    AnswerKind.ORDINAL: frozenset({"ORDINAL"}),
    AnswerKind.PERSON: frozenset({"PERSON", "ORG", "NORP"}),
    AnswerKind.PLACE: frozenset({"GPE", "LOC", "FAC"}),
    AnswerKind.COUNTRY: frozenset({"GPE"}),
    AnswerKind.WORK: frozenset({"WORK_OF_ART"}),
}
_COUNT_QUESTION = re.compile(r"\bhow many\b", re.IGNORECASE)
_AMOUNT_QUESTION = re.compile(
    r"\bhow (?:much|long|far|old|large|big)\b|"
    # "what was the (exact|total|annual) value": one qualifier may stand before the noun.
    r"\bwhat (?:was|is|were|are) the (?:[a-z]+ )?(?:value|number|amount|total|size|cost|price|"
    r"figure|share|percentage|rate|sum|death toll|toll)\b|\bwhat percentage\b",
    re.IGNORECASE,
)
# "Which anniversary", "which edition", "for which term": the answer is a rank ("75th", "third").
_ORDINAL_QUESTION = re.compile(
    r"\b(?:which|what)\s+(?:[a-z]+\s+)?(?:anniversary|edition|term|round|session)\b",
    re.IGNORECASE,
)
_PERSON_QUESTION = re.compile(r"^\s*(?:who|whom|whose)\b", re.IGNORECASE)
_PLACE_QUESTION = re.compile(r"^\s*where\b", re.IGNORECASE)
_REASON_QUESTION = re.compile(r"^\s*why\b", re.IGNORECASE)
_STATEMENT_QUESTION = re.compile(
    r"^\s*what\s+(?:did|does|do|has|have|had|will|would)\b[^?]*\b(?:say|tell|said|told|"
    r"announce|declare|warn|claim|write|tweet)\b",
    re.IGNORECASE,
)
# In this order: "how many" before "how much", "what did X say" after "what date".
_KIND_PATTERNS = (
    (DATE_QUESTION, AnswerKind.DATE),
    (_YEAR_OR_MONTH_QUESTION, AnswerKind.DATE),
    (_COUNT_QUESTION, AnswerKind.COUNT),
    (_AMOUNT_QUESTION, AnswerKind.AMOUNT),
    (_ORDINAL_QUESTION, AnswerKind.ORDINAL),
    (_PERSON_QUESTION, AnswerKind.PERSON),
    (_PLACE_QUESTION, AnswerKind.PLACE),
    (_REASON_QUESTION, AnswerKind.REASON),
    (_STATEMENT_QUESTION, AnswerKind.STATEMENT),
)
# "which" and the words after it, among them the noun it asks about ("which Thai prime minister").
_WHICH_NOUN = re.compile(r"\b(?:which|what)((?:\s+[A-Za-z-]+){1,3})", re.IGNORECASE)
# The noun after "which": what kind of thing it names. General categories of news nouns.
_NOUN_KINDS = {
    AnswerKind.COUNTRY: "country countries nation nations state states",
    AnswerKind.PLACE: (
        "city cities town towns village place places region province capital venue hospital "
        "prison airport port island area district street square building hotel stadium"
    ),
    AnswerKind.WORK: "film films movie movies book books novel song songs album play show series",
    AnswerKind.PERSON: (
        "person people man woman men women leader leaders official officials minister "
        "president candidate player actor actress singer author politician loyalist "
        "party parties company companies bank banks group groups organisation organization "
        "team club newspaper agency agencies firm airline broadcaster outlet member members "
        "journalist lawmaker senator judge suspect victim"
    ),
}
_KIND_OF_NOUN = {n: kind for kind, words in _NOUN_KINDS.items() for n in words.split()}


def answer_kind(question: str, parsed: Parsed | None = None) -> AnswerKind:
    """What the question's wh-phrase asks for (its last question, when it asks several).
    With `parsed` (that last question's parse), the noun "which" asks about is the last noun
    of the phrase it opens ("which Chinese state news agency" asks for an agency, not a state;
    the small model's dependency arcs for such phrases are unreliable, its tags are not);
    without, the first known noun of the three words after it."""
    last = last_question(question)
    kind = next((k for pattern, k in _KIND_PATTERNS if pattern.search(last)), None)
    if kind is not None:
        return kind
    if parsed is not None:
        kind = _which_phrase_kind(parsed)
        if kind is not None:
            return kind
    which = _WHICH_NOUN.search(last)
    for word in which.group(1).lower().split() if which else ():
        if word in _KIND_OF_NOUN:
            return _KIND_OF_NOUN[word]
    return AnswerKind.OTHER


def _which_phrase_kind(parsed: Parsed) -> AnswerKind | None:
    tokens = parsed.tokens
    for i, t in enumerate(tokens):
        if t.lemma not in ("which", "what"):
            continue
        phrase = []
        for after in tokens[i + 1 :]:
            if after.pos not in _PHRASE_TAGS:
                break
            phrase.append(after)
        for noun in reversed([a for a in phrase if a.pos == "NOUN"]):
            for word in (noun.text.lower(), noun.lemma):
                if word in _KIND_OF_NOUN:
                    return _KIND_OF_NOUN[word]
        if phrase:
            return None
    return None


# What a noun phrase after "which" is made of ("two", "Chinese", "state", "news", "agency").
_PHRASE_TAGS = frozenset({"ADJ", "NOUN", "PROPN", "NUM"})


@dataclass(frozen=True)
class Premise:
    """What the question takes for granted: who, which event, when."""

    participants: tuple[str, ...]  # the names it mentions, as written
    predicate: str | None  # the event's verb, a lemma ("resign"); None for "what is", "who was"
    years: frozenset[int]  # years it names ("at the 2017 Oscars")
    speaker: str | None = None  # "what did X say": X
    clause: str = ""  # the premise as a statement: "Mark Rutte resigned after the election"
    # The event's noun where the verb only supports it: "summit" of "the summit was held".
    event_noun: str | None = None
    # Days it names ("on 16 April 2017"): no source published before them can report it.
    days: frozenset[date] = frozenset()
    # What was said is about ("What did Xi say about the South China Sea"): a quote must name it.
    topic: tuple[str, ...] = ()

    def unnamed_topic(self, text: str) -> list[str]:
        """The names of the topic `text` does not name (none for a question without one)."""
        return [t for t in self.topic if not name_in(text, t)]

    def stated_in(self, text: str) -> bool:
        """Whether `text` states the premise's event (its verb or a synonym, and its noun
        where the verb is only "held"); True when the question names no event."""
        if self.predicate is None:
            return True
        if not holds_predicate(text, self.predicate):
            return False
        return self.event_noun is None or holds_noun(text, self.event_noun)

    def backs_event(self, text: str) -> bool:
        """Whether `text` can back a statement of the event: as `stated_in`, but for an event
        that is its noun ("hold an election") the noun will do ("In Sunday's election, …"
        says when it was held). Only for a claim the draft makes with its own date or figure;
        whether the event happened at all is asked of `stated_in` (a referendum called for
        is no referendum held)."""
        if self.event_noun is not None and holds_noun(text, self.event_noun):
            return True
        return self.stated_in(text)


@dataclass(frozen=True)
class AnalysedQuestion:
    """What the checks need to know of a question, worked out once."""

    text: str
    kind: AnswerKind
    words: frozenset[str]  # its content tokens
    premise: Premise = Premise((), None, frozenset())

    @classmethod
    def of(cls, question: str, nlp: Pipeline | None = None) -> AnalysedQuestion:
        """Without `nlp` the premise is left empty (the answer type and words still hold)."""
        words = frozenset(t for t in tokens(question) if t not in STOPWORDS)
        if nlp is None:
            return cls(question, answer_kind(question), words, Premise((), None, frozenset()))
        whole, last = nlp.parse_many([question, last_question(question)])
        kind = answer_kind(question, last)
        return cls(question, kind, words, analyse_premise(question, last, kind, whole))


# Names a premise is about: people, organisations, places, events, works. Not nationalities
# ("Dutch election": an article may say "the Netherlands"), dates or figures.
_PARTICIPANT_LABELS = frozenset("PERSON ORG GPE LOC FAC EVENT WORK_OF_ART LAW PRODUCT".split())


def analyse_premise(
    question: str, parsed: Parsed, kind: AnswerKind, whole: Parsed | None = None
) -> Premise:
    """The premise of the question `parsed` (its last, when it asks several); `whole`, the
    parse of all of it, gives the participants ("Which loyalist was shot in Carrickfergus?
    When did he die?" is about Carrickfergus)."""
    outlets = [question[s:e] for s, e in attributed_spans(question)]
    named = whole or parsed
    # The event's years ("at the 2017 Oscars"), not those of a period the question scopes its
    # search to ("as reported in October 2023"): retrieval keeps to that period already.
    scope = TimeScope.of(parsed.text, None)
    outside = [(m.start, m.value.year) for m in find_dates(parsed.text, None)] + [
        (t.start, int(t.text)) for t in parsed.tokens if YEAR.fullmatch(t.text) and t.pos == "NUM"
    ]
    years = frozenset(year for at, year in outside if not any(s <= at < e for s, e in scope.spans))
    nationalities = {e.text for e in named.entities if e.label not in _PARTICIPANT_LABELS}
    participants = tuple(
        dict.fromkeys(
            bare_name(n)
            for n in names(named)
            if n not in nationalities
            and n[:1].isupper()
            and not any(n in o or o in n for o in outlets)
        )
    )
    verb = _predicate(parsed)
    speaker = None
    if verb is not None and parsed.tokens[verb].lemma in SPEECH_VERBS:
        subject = _subject(parsed, verb)
        if subject is not None and not _asks_who(parsed, subject):
            speaker = bare_name(" ".join(parsed.tokens[k].text for k in parsed.subtree(subject)))
    predicate = parsed.tokens[verb].lemma if verb is not None else None
    noun = None
    if verb is not None and predicate in SUPPORT_VERBS:
        objects = [
            k
            for k in parsed.children(verb)
            if parsed.tokens[k].dep in ("nsubjpass", "nsubj", "dobj")
            and parsed.tokens[k].pos == "NOUN"
        ]
        noun = parsed.tokens[objects[0]].lemma if objects else None
    clause = premise_clause(parsed, verb)
    # The days of the event asked about, not the ones that bound a period ("as of 5 March").
    days = frozenset(TimeScope.of(named.text, None).days)
    topic: tuple[str, ...] = ()
    if speaker is not None and verb is not None:
        about = " ".join(
            _noun_phrase(parsed, j)
            for k in parsed.children(verb)
            if parsed.tokens[k].dep == "prep" and parsed.tokens[k].lemma in _TOPIC_PREPOSITIONS
            for j in parsed.children(k)
            if parsed.tokens[j].dep == "pobj"
        )
        topic = tuple(n for n in participants if n in about)
    return Premise(participants, predicate, years, speaker, clause, noun, days, topic)


def bare_name(name: str) -> str:
    """A name without its possessive: "Park Geun-hye's", "Geert Wilders'" as named."""
    name = name.strip()
    for tail in ("'s", "’s", "'", "’"):
        if name.endswith(tail):
            return name[: -len(tail)].strip()
    return name


def _noun_phrase(parsed: Parsed, head: int) -> str:
    """The words of a noun phrase without the phrases hanging from it: "the South China Sea"
    of "the South China Sea at his Astana meeting"."""
    nested = {j for k in parsed.children(head) if parsed.tokens[k].dep == "prep"
              for j in parsed.subtree(k)}  # fmt: skip
    return " ".join(parsed.tokens[k].text for k in parsed.subtree(head) if k not in nested)


def _asks_who(parsed: Parsed, subject: int) -> bool:
    """Whether the subject is what is asked ("Which agency quoted Putin?"): a wh-word in it, or
    right before it where a small parser attached it elsewhere."""
    words = parsed.subtree(subject)
    first = min(words)
    return any(parsed.tokens[k].lemma in _WH for k in words) or (
        first > 0 and parsed.tokens[first - 1].lemma in _WH
    )


def _predicate(parsed: Parsed) -> int | None:
    """The token of the question's event verb. Small parsers often take "did" for the main
    verb ("How many seats did the PVV win": "win" tagged a noun); then the first word after
    the subject that can be a verb is the event."""
    root = parsed.root()
    if root is None:
        return None
    top = parsed.tokens[root]
    if top.lemma not in LIGHT_VERBS and top.pos == "VERB":
        return root
    if (
        top.lemma not in LIGHT_VERBS
        and _can_be_verb(top.text)
        and _subject(parsed, root) is not None
    ):
        return root  # "did the Senate confirm Gorsuch": "confirm" tagged a noun, parsed a verb
    if parsed.tokens[root].lemma in ("do", "have"):
        # "did [the Velmora floods force]": the parser's object of "did" is the event verb
        # with its subject as modifiers.
        for k in parsed.children(root):
            t = parsed.tokens[k]
            if t.dep == "dobj" and _can_be_verb(t.text):
                # "did [Tencent report] at the end of …": the event is a light verb, so there
                # is none to check; read on and "end" would be taken for it.
                return k if t.lemma not in LIGHT_VERBS else None
        subject = _subject(parsed, root)
        after = max(parsed.subtree(subject)) + 1 if subject is not None else root + 1
        for k in range(after, len(parsed.tokens)):
            t = parsed.tokens[k]
            if t.pos == "PUNCT":
                break
            if t.lemma not in LIGHT_VERBS and _can_be_verb(t.text):
                return k
    for k in parsed.children(root):
        t = parsed.tokens[k]
        if t.dep in ("xcomp", "ccomp", "advcl") and t.pos == "VERB" and t.lemma not in LIGHT_VERBS:
            return k
    # "was the SCO summit itself held": parsed as a clause inside the subject.
    return next(
        (k for k, t in enumerate(parsed.tokens) if t.pos == "VERB" and t.lemma not in LIGHT_VERBS),
        None,
    )


@lru_cache(maxsize=4096)
def _can_be_verb(word: str) -> bool:
    from lemminflect import getAllLemmas

    return "VERB" in getAllLemmas(word.lower())


def _subject(parsed: Parsed, verb: int) -> int | None:
    return next(
        (k for k in parsed.children(verb) if parsed.tokens[k].dep in ("nsubj", "nsubjpass")),
        None,
    )


_WH = frozenset("what which who whom whose when where why how".split())
_WH_DETERMINERS = frozenset("what which how many much".split())
_WH_ADVERBS = frozenset("why when where".split())
_TOPIC_PREPOSITIONS = frozenset("about on regarding over concerning".split())
_TIME_NOUNS = frozenset("date day year month time".split())


def premise_clause(parsed: Parsed, verb: int | None) -> str:
    """The question turned into the statement it assumes, for a correction to name: "Why did
    Mark Rutte resign after the Dutch election?" gives "Mark Rutte resigned after the Dutch
    election", "How many seats did the PVV win?" gives "the PVV won seats". "" when the
    question asks who did it (nothing is assumed of anyone) or has no event verb."""
    if verb is None:
        return ""
    subject = _subject(parsed, verb)
    if subject is None or _asks_who(parsed, subject):
        return ""
    if not any(parsed.tokens[k].pos in ("PROPN", "NOUN") for k in parsed.subtree(subject)):
        return ""  # "he", "itself": a correction must say who
    tokens = parsed.tokens
    dropped: set[int] = set()
    for k, t in enumerate(tokens):
        if t.lemma == "accord":  # "According to DW, ..." is who reported it, not the premise
            dropped |= set(parsed.subtree(k))
        if t.lemma not in _WH:
            continue
        phrase = _phrase_head(parsed, k, verb)
        head = tokens[phrase]
        if phrase == k and t.dep in ("dobj", "obj") and t.lemma == "what":
            dropped.add(k)  # "what did X say": what is asked, said "anything" below
            continue
        if phrase == k or head.lemma in _TIME_NOUNS or head.lemma in _WH_DETERMINERS:
            span = set(parsed.subtree(phrase))
            # "on what date", "in which year": the preposition goes with its object.
            if head.dep in ("pobj", "pcomp") and head.head != phrase:
                span.add(head.head)
            dropped |= span
        else:
            # "how many seats", "which banks": the thing asked about stays, the asking goes.
            dropped |= {j for j in parsed.subtree(phrase) if tokens[j].lemma in _WH_DETERMINERS}
    did = [k for k, t in enumerate(tokens) if t.lemma == "do" and t.pos == "AUX" and k != verb]
    dropped |= set(did)
    if tokens[-1].pos == "PUNCT":
        dropped.add(len(tokens) - 1)
    subject_words = [k for k in parsed.subtree(subject) if k not in dropped]
    fronted_aux = [k for k in range(subject) if tokens[k].pos == "AUX" and k not in dropped]
    kept = [
        k
        for k in range(len(tokens))
        if k not in dropped and k not in subject_words and k not in fronted_aux
    ]
    # What a question fronts ("how much additional lending did Xi announce") follows the verb.
    fronted = [k for k in kept if k < min(subject_words, default=subject)]
    rest = [k for k in kept if k not in fronted]
    words = [tokens[k].text for k in subject_words]
    words += [tokens[k].text.lower() for k in fronted_aux]
    for k in rest:
        t = tokens[k]
        words.append(_past(t.text, t.lemma) if k == verb and did else t.text)
        if k == verb:
            if any(
                tokens[j].lemma == "what" and tokens[j].dep in ("dobj", "obj")
                for j in parsed.children(verb)
            ):
                words.append("anything")
            words += [tokens[j].text for j in fronted]
    if verb not in rest:
        words += [tokens[j].text for j in fronted]
    # A preposition whose object was the asked-for date ("held on [what date]") goes too.
    prepositions = {t.text for t in tokens if t.pos == "ADP"}
    while words and words[-1] in prepositions:
        words.pop()
    text = " ".join(words)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"\s*-\s*", "-", text).replace(" 's", "'s").replace(" ’s", "’s")
    return text.strip(" ,")


def _phrase_head(parsed: Parsed, k: int, verb: int) -> int:
    """The head of the phrase a wh-word opens: "how" of "how many seats" is "seats". "Why",
    "when" and "where" open no phrase, and no phrase reaches the event's verb (which a small
    parser may have tagged a noun: "Why did Xi resign")."""
    if parsed.tokens[k].lemma in _WH_ADVERBS:
        return k
    while parsed.tokens[k].dep in ("det", "advmod", "amod", "npadvmod"):
        head = parsed.tokens[k].head
        if head == verb or parsed.tokens[head].pos not in ("NOUN", "PROPN", "ADJ", "ADV", "PRON"):
            break
        k = head
    return k


def _past(word: str, lemma_: str) -> str:
    from lemminflect import getInflection

    forms = getInflection(lemma_, tag="VBD")
    return forms[-1] if forms else word
