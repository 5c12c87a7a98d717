"""Does each inline citation's quote back the sentence that carries it? Re-checked in code.

The service already repairs citations before it answers; this is the independent check. It is
deliberately stricter than the service's own: the evidence is the quote the reader is shown
(not the whole retrieved chunk), looked up in the article on disk at the cited offsets, and the
article's publication date does not count as evidence for a claimed day unless the quote itself
states or implies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.corpus import Article
from eval.dataset import EvalQuestion
from eval.metrics import matched_groups
from rag.text.dates import annotate_implied
from rag.text.facts import Evidence, claim_facts
from rag.text.words import tokens
from rag.types import Answer, Citation

# Share of a figure-free sentence's content words the quote (with its headline) must contain.
MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class CitationCheck:
    """One inline marker `[n]` in one sentence, and whether its quote supports that sentence."""

    n: int
    sentence: str
    source: str | None
    quote: str
    supported: bool
    reason: str


def cited_claims(answer: Answer) -> list[tuple[str, tuple[Citation, ...]]]:
    """What each citation is a citation for: every statement's text with its citations, and
    every aside ("five according to DW") with its own."""
    out: list[tuple[str, tuple[Citation, ...]]] = []
    for statement in answer.statements:
        out.append((statement.text, statement.citations))
        out += [(aside.text, aside.citations) for aside in statement.asides]
    return out


def check_citations(
    answer: Answer, question: EvalQuestion, corpus: dict[str, Article]
) -> list[CitationCheck]:
    """Every (sentence, citation) pair in the answer, checked. A marker that points at nothing
    (`Citation.dangling`) counts as unsupported."""
    checks: list[CitationCheck] = []
    for sentence, citations in cited_claims(answer):
        for citation in dict.fromkeys(citations):
            n = citation.n
            if not citation.chunk_id:
                checks.append(CitationCheck(n, sentence, None, "", False, "no citation [n] exists"))
                continue
            ok, reason = supports(sentence, citation, question, corpus)
            checks.append(CitationCheck(n, sentence, citation.source, citation.quote, ok, reason))
    return checks


def supports(
    sentence: str, citation: Citation, question: EvalQuestion, corpus: dict[str, Article]
) -> tuple[bool, str]:
    """(supported?, why). The checks run from cheapest to most specific; the first miss wins."""
    if question.answerable and citation.source not in question.expected_sources:
        return False, "source is not one of the question's expected_sources"
    article = corpus.get(citation.source)
    if article is None:
        return False, "source is not in the corpus"
    if not citation.quote.strip() or article.text[citation.start : citation.end] != citation.quote:
        return False, "quote is not the article's text at the cited offsets"
    missing = Evidence.of(citation.quote, article.date).missing(claim_facts(sentence))
    if missing:
        return False, f"quote lacks {', '.join(missing)}"
    # The quote as its article's reader takes it: "In March" in an October 2023 article is
    # March 2023, as "on Wednesday" is a day of that week (the article date itself still
    # backs no claim: it is only the anchor of what the quote says).
    shown = f"{article.title}\n{annotate_implied(citation.quote, article.date)}"
    key_groups = _hit(question.facts, sentence)
    lacking = [g for g in key_groups if g not in _hit(key_groups, shown)]
    if lacking:
        return False, f"quote lacks the key fact /{lacking[0][0]}/"
    if claim_facts(sentence).empty and not key_groups:
        return _word_overlap(sentence, shown)
    return True, "supported"


def _hit(groups: Sequence[tuple[str, ...]], text: str) -> list[tuple[str, ...]]:
    """The fact groups that match the text: a sentence's key facts."""
    return [g for g, hit in zip(groups, matched_groups(text, groups), strict=True) if hit]


def _word_overlap(sentence: str, shown: str) -> tuple[bool, str]:
    words = set(tokens(sentence))
    if not words:
        return True, "supported (no content words to check)"
    overlap = len(words & set(tokens(shown))) / len(words)
    if overlap < MIN_OVERLAP:
        return False, f"quote holds {overlap:.0%} of the sentence's content words"
    return True, "supported"


def cites_expected_source(answer: Answer, question: EvalQuestion) -> bool:
    return any(c.source in question.expected_sources for c in answer.citations)
