"""Word tokens for lexical matching, shared by BM25, the citation check and sentence matching."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_CASED_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+")

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
_CONNECTORS = frozenset({"of", "and", "the", "for", "&"})


def lemma(word: str) -> str:
    """Crude English lemma, enough to match "meeting"/"met"/"meet" and "landed"/"land"."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def tokens(text: str) -> list[str]:
    """Lower-cased content words, stopwords removed, lemmatised."""
    words = _WORD.findall(text.lower().replace("’", "'").replace("'s", ""))
    return [lemma(w) for w in words if w not in STOPWORDS]


def index_tokens(text: str) -> list[str]:
    """`tokens` plus the acronyms the text's names allow ("Shanghai Cooperation Organization"
    is also "sco"), so a question that uses the acronym still matches lexically."""
    return tokens(text) + [a.lower() for a in initialisms(_CASED_WORD.findall(text))]


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
        if word.lower() in _CONNECTORS and run:
            continue
        letters = "".join(run)
        found |= {
            letters[i:j]
            for i in range(len(letters))
            for j in range(i + 2, min(len(letters), i + 5) + 1)
        }
        run = []
    return found
