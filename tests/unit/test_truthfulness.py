"""Say only what the cited sentence says: one test per failure class of issue 22, each on a case
like the ones users met, through the real steps, the real spaCy model and a scripted chat model.
"""

from __future__ import annotations

from datetime import date

from rag.answer import pipeline
from rag.answer.compose.render import render
from rag.answer.compose.verified import refusal
from rag.answer.context import AnswerContext
from rag.answer.events import final_answer
from rag.answer.pipeline import Step
from rag.answer.steps.check_premise import check_premise
from rag.answer.steps.draft_answer import draft_answer
from rag.answer.steps.fall_back_to_quote import fall_back_to_quote
from rag.answer.steps.pick_focus import pick_focus
from rag.answer.steps.reconcile_figures import reconcile_figures
from rag.answer.steps.rewrite_follow_up import rewrite_follow_up
from rag.types import Passage, Turn
from tests.unit.answer_context import context, passage, retrieved

DUTCH = date(2017, 3, 16)
RUTTE = (
    "Prime Minister Mark Rutte's VVD party won 33 seats in the Dutch election, making it the "
    "largest party in parliament. Geert Wilders' PVV came second with 20 seats."
)
PARLIAMENT = "The new Dutch parliament has 150 seats, and the PVV's result was its best since 2010."
TRUMP = (
    '"We must save Americans from the imploding Obamacare disaster," Trump said on Tuesday '
    "as Park Geun-hye's impeachment hearing went on. Barack Obama was not mentioned."
)
BRANDO = "Marlon Brando won the Best Actor award at the Oscars in 1973 but refused it."
SHOT = (
    "Billy Wright, a loyalist, was shot in Carrickfergus on 20 December 1997. "
    "He died in hospital on 27 December 1997."
)


def _answer(steps: list[Step], ctx: AnswerContext) -> str:
    for step in steps:
        if ctx.answer is not None:
            break
        list(step(ctx))
    return ctx.answer.text if ctx.answer else render(ctx.so_far.statements).text


def test_a_false_premise_gets_a_correction_not_an_explanation() -> None:
    # "Why did Mark Rutte resign after the Dutch election?": his party won; nobody resigned.
    question = "Why did Mark Rutte resign after the Dutch election?"
    ctx = retrieved(
        question, [passage(0, RUTTE, DUTCH)], reply="Rutte resigned because he won [1]."
    )

    list(check_premise(ctx))

    answer = ctx.answer
    assert answer is not None and answer.corrected and not answer.answered
    assert answer.text.startswith(
        "The articles do not say that Mark Rutte resigned after the Dutch election."
    )
    assert "VVD party won 33 seats" in answer.text and answer.citations
    assert ctx.parts.llm().calls == []  # type: ignore[attr-defined]


def test_a_true_premise_goes_on_to_the_answer() -> None:
    ctx = retrieved("How many seats did Mark Rutte's VVD win?", [passage(0, RUTTE, DUTCH)])
    list(check_premise(ctx))
    assert ctx.answer is None


def test_a_swapped_speaker_is_corrected_with_who_was_quoted() -> None:
    question = "What did Barack Obama say at Park Geun-hye's impeachment hearing?"
    ctx = retrieved(question, [passage(0, TRUMP, date(2017, 3, 10))])

    list(check_premise(ctx))

    assert ctx.answer is not None and ctx.answer.corrected
    assert "They quote Trump" in ctx.answer.text


def test_a_statement_putting_words_in_the_wrong_mouth_loses_its_citation() -> None:
    question = "What did Barack Obama say at Park Geun-hye's impeachment hearing?"
    pool = [passage(0, TRUMP, date(2017, 3, 10))]
    draft = "Barack Obama said Americans must be saved from the Obamacare disaster [1]."
    ctx = retrieved(question, pool, reply=draft)

    list(pick_focus(ctx))
    list(draft_answer(ctx))

    assert not ctx.so_far.answered
    assert any("does not quote Barack Obama" in note for note in ctx.so_far.notes)


def test_a_swapped_year_is_no_answer() -> None:
    question = "Who won the Best Actor award at the 2017 Oscars?"
    pool = [passage(0, BRANDO, date(2017, 2, 27))]
    ctx = retrieved(question, pool, reply="Marlon Brando won the Best Actor award [1].")

    text = _answer([pick_focus, draft_answer, fall_back_to_quote], ctx)

    assert not ctx.so_far.answered and "Brando" not in text
    assert any("another year" in note for note in ctx.so_far.notes)


def test_a_quote_that_shares_words_but_states_no_event_is_no_answer() -> None:
    # "planes were grounded" is no answer to where a propeller was found.
    question = "Where was the propeller of the crashed plane found?"
    text = "After the crash, planes of the same type were grounded across Europe."
    ctx = retrieved(question, [passage(0, text)])

    list(pick_focus(ctx))
    ctx.verified = refusal()  # the model declined
    list(fall_back_to_quote(ctx))

    assert ctx.declined and ctx.quoted is None


def test_a_quote_must_hold_the_kind_asked_for() -> None:
    # "How many times" answered by a sentence about an invitation holds no count.
    question = "How many times did Putin invite Xi to visit Russia?"
    text = "Putin invited Xi to visit Russia, and Xi accepted the invitation warmly."
    ctx = retrieved(question, [passage(0, text)])

    list(pick_focus(ctx))
    ctx.verified = refusal()
    list(fall_back_to_quote(ctx))

    assert ctx.quoted is None
    assert "holds no count" in ctx.judge.why_not(ctx.matches[0])


def test_a_where_question_needs_a_place_the_question_does_not_name() -> None:
    # A "where in Beijing" question got a quote about gratitude.
    question = "Where in Beijing did Xi welcome Putin?"
    text = "In Beijing, Xi welcomed Putin and thanked him warmly for his gratitude and friendship."
    ctx = retrieved(question, [passage(0, text)])

    list(pick_focus(ctx))
    assert "holds no place" in ctx.judge.why_not(ctx.matches[0])
    hall = "Xi welcomed Putin at the Great Hall of the People in Beijing."
    placed = retrieved(question, [passage(0, hall)])
    list(pick_focus(placed))
    assert placed.judge.why_not(placed.matches[0]) == ""


def test_a_source_published_before_the_day_asked_about_cannot_report_it() -> None:
    question = "What was the result of Turkey's referendum on 16 April 2017?"
    text = "Turkey will hold a referendum on 16 April on expanding the president's powers."
    ctx = retrieved(question, [passage(0, text, date(2017, 3, 12))])

    list(pick_focus(ctx))
    assert ctx.judge.why_not(ctx.matches[0]).startswith("the source was published before")


def test_figures_across_outlets_compare_like_with_like() -> None:
    # 150 is the size of the parliament, not a count of the PVV's seats.
    question = "How many seats did Geert Wilders' PVV win?"
    pool: list[Passage] = [
        passage(0, RUTTE, DUTCH, doc="bbc"),
        passage(1, PARLIAMENT, DUTCH, doc="dw"),
    ]
    ctx = retrieved(question, pool, reply="Geert Wilders' PVV won 20 seats [1].")

    text = _answer([pick_focus, draft_answer, reconcile_figures], ctx)

    assert "20 seats" in text and "150" not in text


def test_a_follow_up_keeps_its_own_event() -> None:
    # After "Which loyalist was shot in Carrickfergus?", "When did he die?" asks for the death.
    history = [Turn("Which loyalist was shot in Carrickfergus?", "Billy Wright [1].")]
    ctx = context(
        "When did he die?",
        [passage(0, SHOT, date(1997, 12, 28))],
        reply="When was the loyalist shot in Carrickfergus?",
        history=history,
    )

    list(rewrite_follow_up(ctx))
    assert "die" in ctx.standalone  # the rewrite lost "die": the user's own questions instead

    answer = final_answer(pipeline.run(ctx))
    assert "27 December 1997" in answer.text and "20 December" not in answer.text


def test_a_claim_citing_the_sentence_next_to_its_source_is_re_cited_not_dropped() -> None:
    # The model joined two sentences and cited the one that does not say who declared what.
    question = "What kind of partnership did Russia and China declare when Putin visited Beijing?"
    text = (
        "Putin visited Beijing for the Winter Olympics in February 2022, days before Russia "
        "launched its invasion of Ukraine. At the time, Russia and China declared what they "
        'called a "no-limits" partnership.'
    )
    draft = (
        'Russia and China declared a "no-limits" partnership when Putin visited Beijing in '
        "February 2022, days before Russia launched its invasion of Ukraine [1]."
    )
    ctx = retrieved(question, [passage(0, text, date(2024, 5, 16))], reply=draft)

    list(pick_focus(ctx))
    list(draft_answer(ctx))

    assert ctx.so_far.answered, ctx.so_far.notes
    (citation,) = ctx.so_far.citations
    assert "Russia and China declared" in citation.quote and "February 2022" in citation.quote
    assert any(note.startswith("re-cited") for note in ctx.so_far.notes)


def test_a_claim_no_sentence_backs_is_still_dropped() -> None:
    question = "What did Barack Obama say at Park Geun-hye's impeachment hearing?"
    draft = "Barack Obama said Americans must be saved from the Obamacare disaster [1]."
    ctx = retrieved(question, [passage(0, TRUMP, date(2017, 3, 10))], reply=draft)

    list(pick_focus(ctx))
    list(draft_answer(ctx))

    assert not ctx.so_far.answered
    assert not any(note.startswith("re-cited") for note in ctx.so_far.notes)


def test_a_right_name_quoted_by_the_wrong_sentence_is_re_cited_to_the_one_naming_it() -> None:
    # The sentence sharing most words was quoted; the bank is named in the next one.
    question = "Which bank will provide the loans Xi announced?"
    text = (
        "Xi announced the loans for the initiative, saying China would provide them soon. "
        "The China Development Bank will lend."
    )
    draft = "The China Development Bank will provide the loans Xi announced [1]."
    ctx = retrieved(question, [passage(0, text, date(2023, 10, 18))], reply=draft)

    list(pick_focus(ctx))
    list(draft_answer(ctx))

    assert ctx.so_far.answered, ctx.so_far.notes
    (citation,) = ctx.so_far.citations
    assert "China Development Bank" in citation.quote
    assert any("which names it" in note for note in ctx.so_far.notes)
