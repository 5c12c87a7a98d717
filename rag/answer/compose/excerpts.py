"""Cut a passage down to the sentences that bear on the question before the model reads it.

On 2 CPU cores the embedded model reads ~100 prompt tokens a second, so three whole 800-character
chunks cost ~4.5 s before the first word. Most of a chunk is about something else; the
sentences that share the question's words, plus the one after each (news prose continues a
point in the next sentence: "He said the banks would ..."), carry the answer. Verification still
checks the answer against the whole chunk, so trimming can only lose an answer, never let a wrong
one through.
"""

from __future__ import annotations

import re

from rag.text.sentences import sentence_spans
from rag.text.terms import QuestionTerms, score_sentence

ELISION = "…"
# A sentence right after a matching one often finishes its point; it competes at this weight.
_FOLLOW_ON_WEIGHT = 0.5
# Words, with a resolved date in brackets ("[week of 16 October 2023]") kept as one word.
_WORDS = re.compile(r"\[[^\]]*\]|\S+")


def trim_to_question(text: str, terms: QuestionTerms, budget_chars: int) -> str:
    """The sentences of `text` most about the question, in their order, within `budget_chars`.

    When even the best sentence is over budget, its stretch richest in question words is kept
    instead. Elided stretches show as "…". `budget_chars <= 0` or a text already within budget
    returns `text` unchanged.
    """
    if budget_chars <= 0 or len(text) <= budget_chars:
        return text
    spans = sentence_spans(text)
    if not spans:
        return text
    sentences = [text[s.start : s.end] for s in spans]
    own = [score_sentence(s, terms) for s in sentences]
    priority = [
        score + (_FOLLOW_ON_WEIGHT * own[i - 1] if i > 0 else 0.0) for i, score in enumerate(own)
    ]
    # Highest priority first; among equals the earlier sentence (a lead states the point).
    order = sorted(range(len(sentences)), key=lambda i: (-priority[i], i))
    if len(sentences[order[0]]) > budget_chars:
        return _window(sentences, order[0], terms, budget_chars)
    kept: list[int] = []
    used = 0
    for i in order:
        if kept and (priority[i] == 0 or used + len(sentences[i]) + 1 > budget_chars):
            continue
        kept.append(i)
        used += len(sentences[i]) + 1
    return _join(sentences, sorted(kept))


def _window(sentences: list[str], best: int, terms: QuestionTerms, budget_chars: int) -> str:
    """The run of whole words of sentence `best` within the budget that scores highest."""
    words = _WORDS.findall(sentences[best])
    top: tuple[float, int, int] = (-1.0, 0, 1)
    end = 0
    length = -1  # of words[start:end] joined by single spaces
    for start in range(len(words)):
        while end < len(words) and length + 1 + len(words[end]) <= budget_chars:
            length += 1 + len(words[end])
            end += 1
        if end <= start:  # one word longer than the budget: take it alone
            end, length = start + 1, len(words[start])
        score = score_sentence(" ".join(words[start:end]), terms)
        if score > top[0]:
            top = (score, start, end)
        length -= 1 + len(words[start])
    _, start, end = top
    lead = ELISION + " " if best > 0 or start > 0 else ""
    tail = " " + ELISION if best < len(sentences) - 1 or end < len(words) else ""
    return f"{lead}{' '.join(words[start:end])}{tail}"


def _join(sentences: list[str], kept: list[int]) -> str:
    parts: list[str] = []
    previous = -1
    for i in kept:
        if i != previous + 1:
            parts.append(ELISION)
        parts.append(" ".join(sentences[i].split()))
        previous = i
    if kept and kept[-1] != len(sentences) - 1:
        parts.append(ELISION)
    return " ".join(parts)
