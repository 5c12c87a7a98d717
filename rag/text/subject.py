"""What a question is about, by its names, and whether a passage names all of them.

A "latest" question wants the newest report *on its story*, and the relevance floor alone
(`diversity.is_relevant`) does not say that: the newest article of a month-long story clears
it for sharing the story's words ("Malaysia", "North Korean", "the killing") while never
naming the suspect the question asks about, and newest-first then puts it on top. The
question's names are what pins the story down, so `Subject.named_in` asks a passage to name
every one of them.

Outlets spell a name differently, so a name matches loosely: case, accents and possessives
aside ("Putin's"), words run together or apart ("Jong-nam", "Jong Nam", "Jongnam"; "Green
Left", "GreenLeft"), and a word of five letters or more may end in up to three more letters
("Malaysia" / "Malaysian", "Korea" / "Koreans"). Honorifics do not count ("President
Trump" needs "Trump"), nor qualifiers of a place ("North Korean" needs "Korean"), and the
last remaining word is the one a report is sure to repeat (the surname, the head noun), as in
`rag.text.names.unknown_names`. A name followed by another in brackets ("the GreenLeft
(GroenLinks) party") may be matched by either. An acronym is also named by the capitalised
words it abbreviates ("SCO" by "Shanghai Cooperation Organization"): reports spell a body
out in the sentence that matters and abbreviate it elsewhere. A name the question attributes
the report to ("according to DW") is not asked for: outlets seldom name themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.names import ATTRIBUTED_BY, HONORIFICS, QUALIFIERS, name_spans
from rag.text.words import CASED_WORD, bare, initialisms, is_acronym, words

_BRACKETED = re.compile(r"\s*\(([^()]{2,60})\)")
# A word this long may carry an ending the question's word lacks ("Malaysian"), up to
# `_ENDING` letters; shorter words must match exactly ("Ri" is no prefix of "Rice").
_STEM_LETTERS = 5
_ENDING = 3
# Words of a passage that may spell one word of the question ("Jong Nam" for "Jong-nam").
_RUN = 3


@dataclass(frozen=True)
class Subject:
    """The names a question is about: each a tuple of spellings, any of which will do
    (the letters of the name's head word, run together: "Kim Jong-nam" is "jongnam")."""

    names: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(cls, question: str) -> Subject:
        names: list[tuple[str, ...]] = []
        for start, end in name_spans(question):
            if ATTRIBUTED_BY.search(question, 0, start):
                continue
            spellings = [_head(question[start:end])]
            bracket = _BRACKETED.match(question, end)
            if bracket is not None:
                spellings.append(_head(bracket.group(1)))
            own = tuple(s for s in spellings if s)
            if own and own not in names:
                names.append(own)
        return cls(tuple(names))

    def named_in(self, text: str) -> bool:
        """Whether `text` names every one of the subject's names (true for no names)."""
        if not self.names:
            return True
        found = words(text)
        return all(any(_spelled(found, s) for s in name) for name in self.names)


def name_in(text: str, name: str) -> bool:
    """Whether `text` names `name` (one name, as a question writes it), as loosely as a
    `Subject` matches: "Kim Jong-nam" is named by "Jong Nam", "Malaysia" by "Malaysian"."""
    head = _head(name)
    if not head or _spelled(words(text), head):
        return True
    acronym = name.strip()
    return is_acronym(acronym) and acronym in initialisms(CASED_WORD.findall(text))


def _head(name: str) -> str:
    """The word a report of `name` is sure to repeat, as letters: its last word once
    honorifics and place qualifiers are dropped (the surname, the head noun)."""
    kept = [w for w in name.split() if bare(w).strip(".") not in HONORIFICS]
    own = [w for w in kept if bare(w) not in QUALIFIERS] or kept
    return "".join(words(own[-1])) if own else ""


def _spelled(found: list[str], spelling: str) -> bool:
    """Whether a run of up to `_RUN` consecutive words of `found` spells `spelling`."""
    for i in range(len(found)):
        run = ""
        for word in found[i : i + _RUN]:
            run += word
            if _alike(run, spelling):
                return True
            if len(run) > len(spelling) + _ENDING:
                break
    return False


def _alike(written: str, asked: str) -> bool:
    if written == asked:
        return True
    short, long = sorted((written, asked), key=len)
    return (
        len(short) >= _STEM_LETTERS and len(long) - len(short) <= _ENDING and long.startswith(short)
    )
