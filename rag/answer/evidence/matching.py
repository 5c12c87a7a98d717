"""Every sentence of the retrieved pool, scored against the question's terms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from rag.text.dates import MONTHS
from rag.text.sentences import sentence_spans
from rag.text.terms import QuestionTerms, acronym_expansions, found_terms, names_found
from rag.text.words import lemma
from rag.types import Passage


@dataclass(frozen=True)
class SentenceMatch:
    passage_index: int
    start: int  # offsets in the chunk text
    end: int
    text: str
    score: float
    coverage: float
    has_all_names: bool


def sentence_matches(
    terms: QuestionTerms,
    passages: list[Passage],
    article_text: Callable[[Passage], str] | None = None,
) -> list[SentenceMatch]:
    """Every sentence of every passage, scored. Names count as present when they occur
    anywhere in the passage's article (`article_text`), e.g. the forum named in paragraph one;
    an acronym the article spells out stands for its words ("BRI" for "Belt and Road
    Initiative")."""
    out = []
    for i, passage in enumerate(passages):
        text = passage.chunk.text
        context = article_text(passage) if article_text else text
        in_article = names_found(f"{passage.chunk.title}\n{context}", terms.proper)
        spelled = acronym_expansions(context)
        dated = _calendar_terms(passage.chunk.date, terms)
        for span in sentence_spans(text):
            sentence = text[span.start : span.end]
            found = found_terms(sentence, terms, spelled) | dated
            score = sum(terms.weights[t] for t in found)
            out.append(
                SentenceMatch(
                    i,
                    span.start,
                    span.end,
                    sentence,
                    score,
                    score / terms.total if terms.total else 0.0,
                    terms.proper <= found | in_article,
                )
            )
    return out


def _calendar_terms(day: date | None, terms: QuestionTerms) -> set[str]:
    """The question's month and year words that the article's own date gives: "in his
    October 2023 meeting" is what an article of 18 October 2023 is about, though its
    sentences say "on Wednesday" or nothing."""
    if day is None:
        return set()
    return {t for t in (lemma(MONTHS[day.month - 1].lower()), str(day.year)) if t in terms.weights}
