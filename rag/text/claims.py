"""What a sentence asserts, read from its parse: who is named, who is quoted, which event.

The truthfulness checks compare a question's premise, and an answer's statements, with the
source sentences they cite. These are the language facts they compare: names (entities and
proper-noun runs), speakers (the subject of a speech verb, or "according to X"), predicates
(event words as stems, with a short list of general news synonyms), and entities of the kind a
question asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rag.text.names import HONORIFICS
from rag.text.nlp import Entity, Parsed
from rag.text.words import fold, lemma, stems

# Verbs that report speech: their subject is the speaker of what they report.
SPEECH_VERBS = frozenset(
    (
        "say tell add state claim declare announce warn insist note write urge accuse deny argue "
        "reply respond comment explain describe vow pledge promise admit acknowledge suggest "
        "stress tweet quote mention call"
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
    "host hold stage",
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


def stem(word: str) -> str:
    return lemma(fold(word))


def text_stems(text: str) -> set[str]:
    """Stems of a text's words and of each pair of neighbours ("step down"), without parsing:
    what predicate checks over many source sentences read."""
    found = stems(text)
    return set(found) | {f"{a} {b}" for a, b in pairwise(found)}


@lru_cache(maxsize=4096)
def synonyms(predicate: str) -> frozenset[str]:
    """The stems that stand for `predicate` (a lemma): every form of it ("rise", "rose",
    "risen") and of its group's words. Reporting verbs are one group: "how did X describe",
    "what did X mention" are answered by "X said"."""
    own = stem(predicate)
    if own in _SPEECH_STEMS:
        group: frozenset[str] = _SPEECH_STEMS
    else:
        group = next((g for g in _STEMS_OF_GROUP if own in g), frozenset({own}))
    words = {predicate} | {w for g in _SYNONYM_GROUPS if own in _stems(g) for w in g.split()}
    if own in _SPEECH_STEMS:
        words |= SPEECH_VERBS
    return group | {stem(form) for w in words if "_" not in w for form in verb_forms(w)}


@lru_cache(maxsize=4096)
def verb_forms(verb: str) -> frozenset[str]:
    """Every inflection of a verb lemma, irregular ones included, from lemminflect's tables."""
    from lemminflect import getAllInflections

    return frozenset(f for forms in getAllInflections(verb, upos="VERB").values() for f in forms)


def _stems(group: str) -> frozenset[str]:
    return frozenset(_stem_phrase(w) for w in group.split())


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
    # "the South China Sea" is named "South China Sea": the article is no part of a name.
    found = [_without_article(e.text) for e in parsed.entities if e.label in NAME_LABELS]
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


@dataclass(frozen=True)
class Speaker:
    text: str  # as written: "Trump", "he", "the Russian leader"
    named: bool  # holds a name ("Trump", "President Trump")
    pronoun: bool  # "he", "she", "they": who it is, the sentences before say


def _without_article(name: str) -> str:
    first, _, rest = name.partition(" ")
    return rest if first.lower() == "the" and rest else name


def speakers(parsed: Parsed) -> list[Speaker]:
    """Who the sentence quotes: the subject of each speech verb ("Trump said", "he told
    reporters") and of a verb that characterises something "as" quoted words ("Trump slammed
    the ruling as \"an overreach\""), the agent of a passive speech verb ("quoted by
    Xinhua"), and X in "according to X"."""
    out = []
    quoting = _quoting_verbs(parsed)
    for i, t in enumerate(parsed.tokens):
        if i in quoting and t.lemma not in SPEECH_VERBS:
            subject = _active_subject(parsed, i)
            if subject is not None:
                out.append(_speaker(parsed, subject))
        if t.pos in ("VERB", "AUX") and t.lemma in SPEECH_VERBS:
            # The active subject: in "Obama was not mentioned" Obama is what was said. A
            # participle has its clause's subject: "The Russian leader praised the BRI,
            # calling it a success story".
            subject = _active_subject(parsed, i)
            if subject is not None:
                out.append(_speaker(parsed, subject))
            # The agent of a passive one speaks too: "Putin, quoted by Xinhua, said ...".
            for agent in (j for j in parsed.children(i) if parsed.tokens[j].dep == "agent"):
                out += [
                    _speaker(parsed, j)
                    for j in parsed.children(agent)
                    if parsed.tokens[j].dep == "pobj"
                ]
        if t.lemma == "accord" and i + 1 < len(parsed.tokens):
            to = parsed.tokens[i + 1]
            if to.lemma == "to":
                objects = [j for j in parsed.children(i + 1) if parsed.tokens[j].dep == "pobj"]
                out += [_speaker(parsed, j) for j in objects]
    return out


def _quoting_verbs(parsed: Parsed) -> set[int]:
    """The verbs that characterise something in quoted words: for each opening quotation mark
    (tag ``) reached through "as", the verb it hangs from ("slammed the decision as \"an
    overreach\"", "hailed it as \"historic\""). News attributes such words with any verb, not
    only with verbs of speech; a quoted object or circumstance without "as" ("exchanged
    \"views\"", "met on \"Wednesday\"") is the reporter's or a statement's word, not the
    subject's."""
    verbs = set()
    for i, t in enumerate(parsed.tokens):
        if t.tag != "``":
            continue
        k, seen, through_as = t.head, {i}, False
        while k not in seen and parsed.tokens[k].pos != "VERB":
            token = parsed.tokens[k]
            if token.pos == "ADP" and token.lemma != "as":
                break
            through_as = through_as or token.lemma == "as"
            seen.add(k)
            k = token.head
        else:
            if through_as and parsed.tokens[k].pos == "VERB":
                verbs.add(k)
    return verbs


def _speaker(parsed: Parsed, head: int) -> Speaker:
    words = _phrase_tokens(parsed, head)
    named = any(parsed.tokens[k].pos == "PROPN" for k in words)
    pronoun = parsed.tokens[head].pos == "PRON"
    text = " ".join(parsed.tokens[k].text for k in words).replace(" 's", "'s")
    return Speaker(text, named, pronoun)


def _active_subject(parsed: Parsed, verb: int) -> int | None:
    for _ in range(3):
        subject = next((j for j in parsed.children(verb) if parsed.tokens[j].dep == "nsubj"), None)
        if subject is not None:
            return subject
        if (
            parsed.tokens[verb].dep not in ("advcl", "xcomp", "conj", "ccomp")
            or parsed.tokens[verb].head == verb
        ):
            return None
        verb = parsed.tokens[verb].head
    return None


def entities_of(parsed: Parsed, labels: Iterable[str]) -> list[Entity]:
    wanted = set(labels)
    return [e for e in parsed.entities if e.label in wanted]


def _phrase_tokens(parsed: Parsed, head: int) -> list[int]:
    """The words of a subject: the head and the name parts and modifiers before it; clauses
    and appositions after it dropped ("Donald Trump, who ..., " gives "Donald Trump")."""
    before = ("compound", "flat", "amod", "det", "poss", "case", "nmod")
    return [
        k
        for k in parsed.subtree(head)
        if k == head or (k < head and parsed.tokens[k].dep in before)
    ]
