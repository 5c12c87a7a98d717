"""What a sentence asserts, read from its parse: who is named, who is quoted, which event.

The truthfulness checks compare a question's premise, and an answer's statements, with the
source sentences they cite. These are the language facts they compare: names (entities and
proper-noun runs), speakers (the subject of a speech verb, or "according to X"), predicates
(event words as stems, with a short list of general news synonyms), and entities of the kind a
question asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from rag.text.names import HONORIFICS
from rag.text.nlp import Entity, Parsed
from rag.text.words import fold, lemma, stems

# Verbs that report speech: their subject is the speaker of what they report.
SPEECH_VERBS = frozenset(
    (
        "say tell add state claim declare announce warn insist note write urge accuse deny argue "
        "reply respond comment explain describe vow pledge promise admit acknowledge suggest "
        "stress tweet quote mention"
    ).split()
)
# Verbs that carry no event of their own: "What happened", "Who is ...", "did X have", and
# verbs of observing or reporting ("How many planes were seen", "what was found"), whose event
# is the thing seen, not the seeing.
LIGHT_VERBS = frozenset(
    "be have do happen become get make take give go come seem see find report show know "
    "consider include involve".split()
)
# Verbs whose event is their noun: "the summit was held", "hold an election", "stage a protest".
SUPPORT_VERBS = frozenset("hold stage host organise organize conduct".split())
# General news synonyms, one group per event: a question's predicate is found in a source that
# uses another word of its group ("resign" / "step down" / "quit"). Groups are about kinds of
# news events, not about any one story; an event's nouns ("resignation", "death") match through
# stems. Two-word entries are phrasal ("step down", "shot dead").
_SYNONYM_GROUPS = (
    "resign quit step_down resignation",
    "die death dead kill shot_dead succumb",
    "win won victory secure",
    "meet meeting talks",
    "arrest detain custody",
    "visit trip travel tour",
    "arrive land",
    "cancel scrap call_off postpone",
    "elect election vote",
    "attack strike assault",
    "shoot shot shooting gunman",
    "sack fire dismiss oust",
    "ban prohibit outlaw",
    "sign signing ink",
    "invite invitation",
    "lend loan lending",
    "charge indict",
    "release free",
    "injure wound hurt",
)


def _stem_phrase(phrase: str) -> str:
    return " ".join(lemma(fold(w)) for w in phrase.split("_"))


_STEMS_OF_GROUP = [frozenset(_stem_phrase(w) for w in g.split()) for g in _SYNONYM_GROUPS]
_SPEECH_STEMS = frozenset(lemma(w) for w in SPEECH_VERBS)
NAME_LABELS = frozenset(
    "PERSON ORG GPE LOC FAC NORP EVENT WORK_OF_ART LAW PRODUCT LANGUAGE".split()
)
_PRONOUNS = frozenset("he she they it we i you his her their".split())


def stem(word: str) -> str:
    return lemma(fold(word))


def text_stems(text: str) -> set[str]:
    """Stems of a text's words and of each pair of neighbours ("step down"), without parsing:
    what predicate checks over many source sentences read."""
    found = stems(text)
    return set(found) | {f"{a} {b}" for a, b in pairwise(found)}


def synonyms(predicate: str) -> frozenset[str]:
    """The stems that stand for `predicate` (a lemma): its own, and its group's. Reporting
    verbs are one group: "how did X describe", "what did X mention" are answered by "X said"."""
    own = stem(predicate)
    if own in _SPEECH_STEMS:
        return _SPEECH_STEMS
    for group in _STEMS_OF_GROUP:
        if own in group:
            return group
    return frozenset({own})


def holds_noun(text: str, noun: str) -> bool:
    """Whether `text` names `noun` (a lemma), in any inflection."""
    return stem(noun) in text_stems(text)


def holds_predicate(text: str, predicate: str) -> bool:
    """Whether `text` states the event `predicate` names, in its word or a synonym."""
    return bool(synonyms(predicate) & text_stems(text))


def name_words(name: str) -> set[str]:
    """The words a name is known by: folded, without honorifics or possessives
    ("President Vladimir Putin's" gives {"vladimir", "putin"})."""
    words = set()
    for w in fold(name).replace("'s", " ").replace("’", " ").replace("-", " ").split():
        w = w.strip(".,'\"()")
        if len(w) >= 2 and w not in HONORIFICS:
            words.add(w)
    return words


def same_name(a: str, b: str) -> bool:
    """Two mentions of one name: they share a word that is no honorific ("Trump" and "Donald
    Trump", "Rutte" and "Mark Rutte"), not merely a title ("President Obama", "President
    Trump")."""
    return bool(name_words(a) & name_words(b))


def names(parsed: Parsed) -> list[str]:
    """The names a sentence mentions: named entities, and runs of proper nouns the tagger left
    out of them."""
    found = [e.text for e in parsed.entities if e.label in NAME_LABELS]
    covered = {i for e in parsed.entities for i in range(e.first, e.last)}
    run: list[str] = []
    for i, t in enumerate([*parsed.tokens, None]):
        if t is not None and t.pos == "PROPN" and i not in covered:
            run.append(t.text)
            continue
        if run:
            found.append(" ".join(run))
            run = []
    return found


def speakers(parsed: Parsed) -> list[str]:
    """Who the sentence quotes: the subject of each speech verb ("Trump said", "he told
    reporters"), and X in "according to X". A pronoun is returned as written."""
    out = []
    for i, t in enumerate(parsed.tokens):
        if t.pos in ("VERB", "AUX") and t.lemma in SPEECH_VERBS:
            # The active subject: in "Obama was not mentioned" Obama is what was said.
            for j in parsed.children(i):
                if parsed.tokens[j].dep == "nsubj":
                    out.append(_phrase(parsed, j))
        if t.lemma == "accord" and i + 1 < len(parsed.tokens):
            to = parsed.tokens[i + 1]
            if to.lemma == "to":
                objects = [j for j in parsed.children(i + 1) if parsed.tokens[j].dep == "pobj"]
                out += [_phrase(parsed, j) for j in objects]
    return out


def is_pronoun(phrase: str) -> bool:
    return fold(phrase).strip() in _PRONOUNS


def entities_of(parsed: Parsed, labels: Iterable[str]) -> list[Entity]:
    wanted = set(labels)
    return [e for e in parsed.entities if e.label in wanted]


def _phrase(parsed: Parsed, head: int) -> str:
    """The words of a subject: the head and the name parts and modifiers before it; clauses
    and appositions after it dropped ("Donald Trump, who ..., " gives "Donald Trump")."""
    before = ("compound", "flat", "amod", "det", "poss", "case", "nmod")
    keep = [
        k
        for k in parsed.subtree(head)
        if k == head or (k < head and parsed.tokens[k].dep in before)
    ]
    return " ".join(parsed.tokens[k].text for k in keep).replace(" 's", "'s")
