"""The metric functions on hand-made inputs, with the answers worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from eval.aggregate import Gate, aggregate, failed_gates, split_halves
from eval.corpus import Article
from eval.dataset import EvalQuestion
from eval.metrics import (
    facts_match,
    is_correct,
    is_wrong_answer,
    percentile,
    premise_accepted,
    premise_asserted,
    recall_at_k,
    reciprocal_rank,
    share,
)
from eval.scoring import QuestionRecord, answer_record, error_record
from eval.support import check_citations, supports
from rag.types import Answer, Citation, Statement

A, B, C = "a.txt", "b.txt", "c.txt"
DATE_FACTS = (("\\b3 July 2024", "2024-07-03"),)
BANK_FACTS = (("China Development Bank", "\\bCDB\\b"), ("Export-Import Bank", "\\bExim"))


def question(
    facts: tuple[tuple[str, ...], ...] = DATE_FACTS, sources: tuple[str, ...] = (A,)
) -> EvalQuestion:
    return EvalQuestion("q1", "date", "When did they meet?", (), "", facts, sources, bool(facts))


# --- fact matching and correctness -----------------------------------------------------------


def test_every_group_must_match_and_any_alternative_will_do() -> None:
    assert facts_match("Loans from the CDB and the Export-Import Bank.", BANK_FACTS)
    assert not facts_match("Loans from the China Development Bank.", BANK_FACTS)
    assert facts_match("they met on 2024-07-03", DATE_FACTS)
    assert facts_match("THEY MET ON 3 JULY 2024", DATE_FACTS)  # case-insensitive


def test_no_facts_never_counts_as_a_match() -> None:
    assert not facts_match("anything", ())


def test_case_sensitive_alternatives_can_opt_out_of_ignorecase() -> None:
    may = (("(?-i:\\bMay\\b)",),)
    assert facts_match("He visited in May 2024.", may)
    assert not facts_match("He may visit.", may)


@pytest.mark.parametrize(
    ("answerable", "answered", "text", "expected"),
    [
        (True, True, "They met on 3 July 2024 [1].", True),
        (True, True, "They met on 4 July 2024 [1].", False),
        (True, False, "3 July 2024 is not in the articles.", False),  # declined: not an answer
        (False, False, "The articles do not contain the answer.", True),
        (False, True, "They met on 3 July 2024.", False),  # answered the unanswerable
    ],
)
def test_correctness(answerable: bool, answered: bool, text: str, expected: bool) -> None:
    facts = DATE_FACTS if answerable else ()
    assert is_correct(answerable, answered, text, facts) is expected


# --- truthfulness: wrong answers and accepted premises ----------------------------------------

RUTTE = (("Rutte (has |had )?resign", "resignation of (Mark )?Rutte"),)


@pytest.mark.parametrize(
    ("answerable", "answered", "text", "wrong"),
    [
        (True, True, "They met on 3 July 2024 [1].", False),
        (True, True, "They met on 4 July 2024 [1].", True),
        (True, False, "They met on 4 July 2024.", False),  # a decline is never a wrong answer
        (False, True, "They met on 3 July 2024.", True),  # any answer to the unanswerable
        (False, False, "The articles do not say.", False),
        (False, None, "", False),  # the contender failed: nothing was answered
    ],
)
def test_a_wrong_answer_is_an_answer_given_that_is_wrong(
    answerable: bool, answered: bool | None, text: str, wrong: bool
) -> None:
    facts = DATE_FACTS if answerable else ()
    assert is_wrong_answer(answerable, answered, text, facts) is wrong


def test_a_premise_is_asserted_when_every_group_matches() -> None:
    assert premise_asserted("Mark Rutte resigned after the vote.", RUTTE)
    assert premise_asserted("After the resignation of Rutte, ...", RUTTE)
    assert not premise_asserted("Rutte's VVD won 33 seats.", RUTTE)
    two = (("Xi",), ("success story",))
    assert premise_asserted("Xi called it a success story.", two)
    assert not premise_asserted("Xi praised it.", two)
    assert not premise_asserted("anything", ())


@pytest.mark.parametrize(
    ("answered", "text", "accepted"),
    [
        (True, "Rutte resigned because his party lost seats [1].", True),
        (True, "His VVD won 33 seats [1].", False),  # a wrong answer, but not the premise
        # A correction repeats the premise's words; it is delivered as not answered.
        (False, "The articles do not say Rutte resigned; his VVD won 33 seats [1].", False),
        (False, "The articles do not say.", False),
        (None, "", False),
    ],
)
def test_a_premise_counts_as_accepted_only_in_an_answer(
    answered: bool | None, text: str, accepted: bool
) -> None:
    assert premise_accepted(answered, text, RUTTE) is accepted


# --- retrieval ---------------------------------------------------------------------------------


def test_recall_counts_distinct_expected_sources() -> None:
    assert recall_at_k([A, A, C], [A, B]) == 0.5
    assert recall_at_k([A, B, C], [A, B]) == 1.0
    assert recall_at_k([C, C], [A]) == 0.0
    assert recall_at_k([A], []) is None


def test_mrr_is_one_over_the_rank_of_the_first_expected_source() -> None:
    assert reciprocal_rank([A, B], [A]) == 1.0
    assert reciprocal_rank([C, C, B], [A, B]) == pytest.approx(1 / 3)
    assert reciprocal_rank([C], [A]) == 0.0
    assert reciprocal_rank([A], []) is None


def test_percentile_interpolates_like_numpy() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 50) == 2.5
    assert percentile(values, 95) == pytest.approx(3.85)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_share_of_nothing_is_none_not_zero() -> None:
    assert share(0, 0) is None
    assert share(1, 4) == 0.25


# --- citations -------------------------------------------------------------------------------

ASTANA = (
    " date 2024-07-04 Xi highlights ties\n\n"
    "President Xi Jinping called on Wednesday for China and Russia to nurture their relations. "
    "The summit is to be held on Thursday. Xi met Vladimir Putin in Astana, Kazakhstan."
)
CORPUS = {A: Article(A, "Xi highlights ties", ASTANA, date(2024, 7, 4))}


def cite(fragment: str, n: int = 1, source: str = A) -> Citation:
    start = ASTANA.index(fragment)
    return Citation(n, source, start, start + len(fragment), fragment, date(2024, 7, 4), "c1")


def test_a_resolved_relative_date_in_the_quote_supports_the_day() -> None:
    quote = cite("President Xi Jinping called on Wednesday for China and Russia to nurture")
    assert supports("Xi spoke on 3 July 2024.", quote, question(), CORPUS) == (True, "supported")


def test_a_date_without_its_year_is_read_in_its_article_s_year() -> None:
    text = " date 2023-10-18 Arrest warrant\n\nIn March, the court issued an arrest warrant."
    corpus = {A: Article(A, "Arrest warrant", text, date(2023, 10, 18))}
    start = text.index("In March")
    quote = Citation(1, A, start, len(text), text[start:], date(2023, 10, 18), "c1")
    q = question(facts=(("Mar[a-z]*\\.?,? (of )?2023",),))
    assert supports(
        "March 2023: “In March, the court issued an arrest warrant.”", quote, q, corpus
    )[0]


def test_the_publication_date_alone_does_not_support_a_day() -> None:
    quote = cite("Xi met Vladimir Putin in Astana, Kazakhstan.")
    ok, reason = supports("Xi met Putin on 4 July 2024 in Astana.", quote, question(), CORPUS)
    assert not ok and "2024-07-04" in reason


def test_a_wrong_day_is_not_supported() -> None:
    quote = cite("The summit is to be held on Thursday.")
    ok, reason = supports("The summit was on 3 July 2024.", quote, question(), CORPUS)
    assert (ok, reason) == (False, "quote lacks 2024-07-03")


def test_a_source_outside_expected_sources_never_supports_an_answerable_question() -> None:
    quote = cite("Xi met Vladimir Putin in Astana, Kazakhstan.")
    ok, reason = supports("Xi met Putin in Astana.", quote, question(sources=(B,)), CORPUS)
    assert not ok and "expected_sources" in reason


def test_a_quote_that_is_not_at_its_offsets_is_not_supported() -> None:
    good = cite("Xi met Vladimir Putin in Astana, Kazakhstan.")
    moved = Citation(1, A, good.start + 1, good.end + 1, good.quote, good.date, "c1")
    ok, reason = supports("Xi met Putin in Astana.", moved, question(), CORPUS)
    assert not ok and "offsets" in reason


def test_a_key_fact_in_the_sentence_must_be_in_the_quote() -> None:
    facts = (("Astana",), ("Kazakh",))
    q = question(facts=facts)
    quote = cite("Xi met Vladimir Putin in Astana")
    ok, reason = supports("They met in Astana, Kazakhstan.", quote, q, CORPUS)
    assert not ok and "Kazakh" in reason
    assert supports("They met in Astana.", quote, q, CORPUS)[0]


def test_a_sentence_without_facts_needs_word_overlap() -> None:
    quote = cite("The summit is to be held on Thursday.")
    q = question(facts=(("nothing-matches",),))
    assert supports("The summit is to be held.", quote, q, CORPUS)[0]
    ok, reason = supports("Relations are warm and deepening.", quote, q, CORPUS)
    assert not ok and "content words" in reason


def test_check_citations_scores_each_marker_and_flags_dangling_ones() -> None:
    quote = cite("President Xi Jinping called on Wednesday for China and Russia to nurture")
    statements = [Statement("Xi spoke on 3 July 2024.", (quote, Citation.dangling(2)))]
    answer = Answer(
        "Xi spoke on 3 July 2024 [1][2].", [quote], [], True, "q", statements=statements
    )
    checks = check_citations(answer, question(), CORPUS)
    assert [(c.n, c.supported) for c in checks] == [(1, True), (2, False)]
    assert checks[1].reason == "no citation [n] exists"


# --- aggregation and the gate -----------------------------------------------------------------


def record(rid: str, answerable: bool, **fields: object) -> QuestionRecord:
    base = QuestionRecord(
        id=rid, category="date" if answerable else "unanswerable", question="?", history=[],
        answerable=answerable, expected_sources=[A] if answerable else [], query="?",
        retrieved_sources=[A], recall=1.0 if answerable else None,
        mrr=1.0 if answerable else None, timings={"total_s": 1.0},
    )  # fmt: skip
    for key, value in fields.items():
        setattr(base, key, value)
    return base


def test_aggregate_over_hand_made_records() -> None:
    records = [
        record("a", True, correct=True, answered=True, cites_expected=True, citation_uses=2,
               citations_supported=1, recall=0.5, mrr=0.5, timings={"total_s": 2.0}),
        record("b", True, correct=False, answered=False, recall=0.0, mrr=0.0),
        record("c", False, correct=True, answered=False),
        record("d", False, correct=False, answered=True, citation_uses=2, citations_supported=0),
    ]  # fmt: skip
    agg = aggregate(records)
    assert agg.recall == 0.25
    assert agg.mrr == 0.25
    assert agg.accuracy == 0.5
    assert agg.citation_precision == 0.25  # 1 of 4 uses, pooled
    assert agg.citation_recall == 1.0
    assert agg.refusal_accuracy == 0.5
    assert agg.false_refusal_rate == 0.5
    assert agg.latency["total_s"] == {"p50": 1.0, "p95": pytest.approx(1.85), "n": 4.0}


def premise_record(rid: str, **fields: object) -> QuestionRecord:
    base = {"recall": 1.0, "mrr": 0.5, **fields}
    return record(rid, False, category="false_premise", false_premise=True,
                  expected_sources=[A], **base)  # fmt: skip


def test_truthfulness_aggregates_over_hand_made_records() -> None:
    records = [
        record("a", True, correct=True, answered=True, wrong_answer=False),
        record("b", True, correct=False, answered=True, wrong_answer=True),
        record("c", True, correct=False, answered=False, wrong_answer=False),
        record("d", False, correct=True, answered=False, wrong_answer=False),
        record("e", False, correct=False, answered=True, wrong_answer=True),
        premise_record("f", correct=True, answered=False, corrected=True, wrong_answer=False,
                       premise_accepted=False),
        premise_record("g", correct=True, answered=False, corrected=False, wrong_answer=False,
                       premise_accepted=False),
        premise_record("h", correct=False, answered=True, wrong_answer=True,
                       premise_accepted=True, recall=0.0, mrr=0.0),
        premise_record("i", correct=False, answered=True, wrong_answer=True,
                       premise_accepted=False, recall=0.5),  # one of two true articles: a hit
        # failed with an error: wrong, but neither an answer nor a decline
        premise_record("j", correct=False, answered=None, wrong_answer=False,
                       premise_accepted=False, error="model down"),
    ]  # fmt: skip
    agg = aggregate(records)
    assert (agg.answerable, agg.unanswerable, agg.false_premise) == (3, 2, 5)
    assert agg.wrong_answer_rate == pytest.approx(4 / 10)
    assert agg.premise_accepted_rate == pytest.approx(1 / 5)
    assert agg.declined_or_corrected == pytest.approx(3 / 7)  # d, f, g of d-j
    assert agg.corrected_rate == pytest.approx(1 / 5)
    # Refusal accuracy keeps its meaning: plain unanswerables only.
    assert agg.refusal_accuracy == 0.5
    assert agg.accuracy == pytest.approx(4 / 10)
    # Retrieval of what is true, apart from the answerable questions' recall.
    assert agg.recall == pytest.approx(1.0)
    assert agg.correction_hit == pytest.approx(4 / 5)  # h retrieved none of them
    assert agg.correction_mrr == pytest.approx(2 / 5)


def test_truthfulness_metrics_with_nothing_to_count_are_none() -> None:
    agg = aggregate([record("a", True, correct=True, answered=True, wrong_answer=False)])
    assert agg.wrong_answer_rate == 0.0
    assert agg.premise_accepted_rate is None and agg.declined_or_corrected is None
    assert agg.corrected_rate is None and agg.correction_hit is None


def test_records_split_into_halves_dev_first() -> None:
    records = [record("a", True, half="test"), record("b", True, half="dev"), record("c", False)]
    records[2].half = "dev"
    assert {h: [r.id for r in rs] for h, rs in split_halves(records).items()} == {
        "dev": ["b", "c"],
        "test": ["a"],
    }
    assert list(split_halves(records[:1])) == ["test"]


def premise_question() -> EvalQuestion:
    return EvalQuestion(
        "p1", "false_premise", "Why did Rutte resign?", (), "He did not.", (), (A,), False,
        premise=RUTTE,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            Answer("Rutte resigned because the VVD lost seats.", [], [], True, "q"),
            {"correct": False, "wrong_answer": True, "premise_accepted": True, "corrected": False},
        ),
        (
            Answer("The articles do not say Rutte resigned.", [], [], False, "q", corrected=True),
            {"correct": True, "wrong_answer": False, "premise_accepted": False, "corrected": True},
        ),
        (
            Answer("The articles do not say.", [], [], False, "q"),
            {"correct": True, "wrong_answer": False, "premise_accepted": False, "corrected": False},
        ),
    ],
)
def test_an_answer_to_a_false_premise_is_scored(answer: Answer, expected: dict[str, bool]) -> None:
    r = answer_record(premise_question(), answer, [], CORPUS)
    got = {key: getattr(r, key) for key in expected}
    assert got == expected
    assert r.false_premise and r.half in ("dev", "test")


def test_a_failed_false_premise_question_is_wrong_but_accepted_nothing() -> None:
    r = error_record(premise_question(), "model down", [], answers=True)
    assert (r.correct, r.wrong_answer, r.premise_accepted, r.answered) == (
        False,
        False,
        False,
        None,
    )


def test_retrieval_only_records_have_no_answer_metrics() -> None:
    agg = aggregate([record("a", True), record("b", False)])
    assert agg.recall == 1.0
    assert agg.accuracy is None and agg.refusal_accuracy is None


def test_gates_fail_below_the_minimum_and_when_unmeasured() -> None:
    agg = aggregate([record("a", True, recall=0.8)])
    gates = [
        Gate("recall", "--min-recall", 0.8),
        Gate("mrr", "--min-mrr", 1.01),
        Gate("accuracy", "--min-accuracy", 0.5),
    ]
    assert failed_gates(agg, gates) == [
        "gate failed: mrr 1.000 < --min-mrr 1.01",
        "gate failed: accuracy was not measured (--min-accuracy 0.5)",
    ]
