""" "X is the Y of Z" claims: the person, the role and the place must share one source sentence.

Word overlap lets "the president of Kazakhstan who hosted the summit is Vladimir Putin" pass
against a passage that names Putin, a president and Kazakhstan in different sentences. A role
claim is backed only by a sentence holding all three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.words import STOPWORDS, tokens

_NAME = r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*"
_ROLE = r"[A-Za-z][a-z-]+(?:\s+[A-Za-z][a-z-]+)?"
_BE = r"(?:is|was|has been|had been|became|remains)"
# "Vladimir Putin is the president of Russia"
_PERSON_FIRST = re.compile(
    rf"(?P<x>{_NAME}),?\s+{_BE}\s+(?:the\s+)?(?P<y>{_ROLE})\s+of\s+(?:the\s+)?(?P<z>{_NAME})"
)
# "The president of Kazakhstan (…) is Vladimir Putin"
_ROLE_FIRST = re.compile(
    rf"\b(?:the\s+)?(?P<y>{_ROLE})\s+of\s+(?:the\s+)?(?P<z>{_NAME})\b[^.]*?\s{_BE}\s+(?P<x>{_NAME})"
)


# Content words (stopwords dropped) between a role and the person or place it binds.
_NEAR = 3


@dataclass(frozen=True)
class RoleClaim:
    person: frozenset[str]
    role: frozenset[str]
    of: frozenset[str]

    def backed_by(self, sentence: str) -> bool:
        """The role sits next to the person and the place next to the role, as in "Russian
        President Vladimir Putin" or "Tokayev, the president of Kazakhstan": naming all three
        somewhere in one long sentence is not enough."""
        words = tokens(sentence)

        def at(wanted: frozenset[str], stem: bool = False) -> list[int]:
            return [
                i
                for i, w in enumerate(words)
                if w in wanted or (stem and len(w) >= 5 and any(w[:5] == x[:5] for x in wanted))
            ]

        person, role = at(self.person), at(self.role)
        # "Russian President" states "president of Russia": demonyms share a 5-letter stem.
        place = at(self.of, stem=True)
        return any(
            abs(r - p) <= _NEAR and any(abs(q - r) <= _NEAR for q in place)
            for r in role
            for p in person
        )


def role_claims(sentence: str) -> list[RoleClaim]:
    claims = []
    for pattern in (_PERSON_FIRST, _ROLE_FIRST):
        for m in pattern.finditer(sentence):
            claim = RoleClaim(_words(m["x"]), _words(m["y"]), _words(m["z"]))
            if claim.person and claim.role and claim.of:
                claims.append(claim)
    return claims


def _words(text: str) -> frozenset[str]:
    return frozenset(t for t in tokens(text) if t not in STOPWORDS)
