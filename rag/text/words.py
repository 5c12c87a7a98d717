"""Words: the one tokenizer and stemmer, shared by the keyword index, sentence matching and the
citation checks, so a word matches the same way everywhere."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
# A word as written, case and apostrophes kept: names, acronyms and possessives ("Putin’s").
CASED_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")

STOPWORDS = frozenset(
    (
        "a an and are as at be been but by did do does for from had has have he her his how i in "
        "into is it its of on or our she so than that the their them then there these they this "
        "to was we were what when where which who whom why will with would you your about after "
        "also can could said says say according more most other over such very many much"
    ).split()
)
_IRREGULAR = {
    "met": "meet", "held": "hold", "said": "say", "spoke": "speak", "made": "make",
    "went": "go", "came": "come", "took": "take", "gave": "give", "began": "begin",
    "won": "win", "told": "tell", "flew": "fly", "left": "leave",
}  # fmt: skip
# Small words inside a spelled-out name: "Belt and Road Initiative", "Council of Europe".
NAME_CONNECTORS = frozenset({"of", "and", "the", "for", "&"})
# A PyStemmer object must not be used by two threads at once; one per thread is cheap.
_stemmers = threading.local()


def _stem(word: str) -> str:
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return str(stemmer.stemWord(word))


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The Snowball (Porter2) stem of a lower-case word, irregular past tenses first mapped to
    their verb: "meetings"/"meeting"/"met" give "meet", "economies"/"economy" give "economi",
    while "news" stays apart from "new"."""
    return _stem(_IRREGULAR.get(word, word))


def fold(text: str) -> str:
    """Lower case without accents ("Erdoğan" → "erdogan", "Zelenskyy’s" → "zelenskyy's"), so
    a name matches however an outlet spells its diacritics."""
    text = text.lower().replace("’", "'")
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded content words before stemming, stopwords removed ("putin's" gives "putin")."""
    return [w for w in _WORD.findall(fold(text).replace("'s", "")) if w not in STOPWORDS]


def stems(text: str) -> list[str]:
    """Every word's stem, stopwords kept ("said" is "say"): for reading events, where "said"
    and "was" matter."""
    return [lemma(w) for w in _WORD.findall(fold(text).replace("'s", ""))]


def tokens(text: str) -> list[str]:
    """Lower-cased content words, stopwords removed, stemmed."""
    return [lemma(w) for w in words(text)]


def index_tokens(text: str) -> list[str]:
    """`tokens` plus the acronyms the text's names allow ("Shanghai Cooperation Organization"
    is also "sco"), so a question that uses the acronym still matches lexically."""
    return tokens(text) + [a.lower() for a in initialisms(CASED_WORD.findall(text))]


def bare(word: str) -> str:
    """Lower case without a possessive: "Putin's" matches "Putin"."""
    lower = word.lower().replace("’", "'")
    return lower[:-2] if lower.endswith("'s") else lower


def is_acronym(word: str) -> bool:
    return 2 <= len(word) <= 6 and word.isupper() and word.isalpha()


def initialisms(words: list[str]) -> set[str]:
    """Initial letters of every 2-5 word stretch of a capitalised name ("Belt and Road
    Initiative" gives "BRI", "BR", "RI")."""
    found: set[str] = set()
    run: list[str] = []
    for word in [*words, "."]:
        if word[:1].isupper() and not is_acronym(word):
            if run or word.lower() not in STOPWORDS:  # "The Russian" is no name
                run.append(word[0])
            continue
        if word.lower() in NAME_CONNECTORS and run:
            continue
        letters = "".join(run)
        found |= {
            letters[i:j]
            for i in range(len(letters))
            for j in range(i + 2, min(len(letters), i + 5) + 1)
        }
        run = []
    return found


# Spelling pairs that transliterations swap ("Qaddafi"/"Kadhafi", "Tikhanovskaya"/"Tihanovskaja").
_SOUND_ALIKE = (("ph", "f"), ("kh", "h"), ("dh", "d"), ("th", "t"), ("ck", "k"), ("q", "k"))
_SOUND_ALIKE += (("w", "v"), ("j", "i"), ("y", "i"))
_VOWEL_RUN = re.compile(r"[aeiou]+")
_REPEAT = re.compile(r"(.)\1+")
# Shorter words are too often distinct names one vowel apart ("Xi"/"Xu", "Mars"/"Mors").
FUZZY_MIN_LETTERS = 6


@lru_cache(maxsize=200_000)
def sound_key(word: str) -> str | None:
    """What two transliterations of one name have in common, from the folded word before
    stemming (which mangles names: "mohammed" stems to "moham"): sound-alike letters merged,
    doubled letters single, every vowel run one "a". "zelensky", "zelenskiy" and "zelenskyy"
    give "zalanska"; "mohammed" and "muhammad" give "mahamad". None for short words and
    figures, which must match exactly."""
    if len(word) < FUZZY_MIN_LETTERS or not word.isalpha():
        return None
    key = word
    for spelled, sound in _SOUND_ALIKE:
        key = key.replace(spelled, sound)
    return _VOWEL_RUN.sub("a", _REPEAT.sub(r"\1", key))
