"""The pipeline: steps in the order of STEPS, an early finish, streaming, closing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pytest

from rag.answer import pipeline
from rag.answer.compose.verified import Verified
from rag.answer.context import AnswerContext
from rag.answer.events import Final, Token, final_answer
from rag.answer.steps.drop_deleted_sources import drop_deleted_sources
from rag.text import sentences
from rag.text.terms import QuestionTerms
from rag.types import Statement
from tests.unit.answer_context import ASTANA, BEIJING, WEATHER, cite, context, model, passage

ANSWER = "Xi and Putin met on 3 July 2024 in Astana [1]."


def test_the_steps_run_in_one_visible_order() -> None:
    assert [s.__name__ for s in pipeline.STEPS] == [
        "rewrite_follow_up",
        "refuse_unknown_names",
        "retrieve_in_scope",
        "check_premise",
        "compute_in_code",
        "pick_focus",
        "draft_answer",
        "fall_back_to_quote",
        "retry_with_all_passages",
        "attribute_latest",
        "reconcile_figures",
        "finish_answer",
        "drop_deleted_sources",
    ]


def test_a_question_streams_the_model_s_tokens_then_one_verified_answer() -> None:
    pool = [passage(0, WEATHER), passage(1, ASTANA)]
    # Not a date question: those are answered in code (compute_in_code), without the model.
    ctx = context("Where did Xi Jinping meet Vladimir Putin in July 2024?", pool, reply=ANSWER)

    events = list(pipeline.run(ctx))

    assert "".join(e.text for e in events if isinstance(e, Token)) == ANSWER
    final = events[-1]
    assert isinstance(final, Final) and final.answer.answered
    assert final.answer.citations[0].chunk_id == pool[1].chunk.chunk_id
    assert len(model(ctx).calls) == 1


def test_after_an_early_finish_only_the_checks_of_every_answer_run() -> None:
    p = passage(0, ASTANA)
    ran: list[str] = []

    def finishing(ctx: AnswerContext) -> Iterable[Token]:
        ctx.standalone, ctx.passages = ctx.question, [p]
        ctx.finish(Verified([Statement("In Astana.", (cite(p),))], answered=True))
        return ()

    def never(ctx: AnswerContext) -> Iterable[Token]:
        ran.append("never")
        return ()

    ctx = context("Where?", [p], deleted=[p.chunk.chunk_id])

    events = list(pipeline.run(ctx, (finishing, never, drop_deleted_sources)))

    assert ran == []
    final = events[-1]
    assert isinstance(final, Final) and final.answer.citations == []


def test_steps_that_never_finish_are_an_error_not_a_silent_stream() -> None:
    ctx = context("Where?")

    with pytest.raises(RuntimeError):
        list(pipeline.run(ctx, ()))


def test_closing_the_pipeline_mid_draft_closes_the_model_stream() -> None:
    closed: list[bool] = []

    class Endless:
        name = "endless"

        def stream(self, messages, *, max_tokens, temperature=0.0, cancel=None):  # type: ignore[no-untyped-def]
            try:
                while True:
                    yield "Astana "
            finally:
                closed.append(True)

        def ping(self) -> None:
            return None

    ctx = context("Where did Xi meet Putin?", [passage(0, ASTANA)])
    endless = Endless()
    object.__setattr__(ctx.parts, "llm", lambda: endless)
    events = pipeline.run(ctx)

    assert isinstance(next(events), Token)
    events.close()

    assert closed == [True]


@pytest.mark.parametrize("reply", [ANSWER, "NOT IN ARTICLES"])
def test_one_question_computes_its_terms_once_and_splits_each_chunk_once(
    monkeypatch: pytest.MonkeyPatch, reply: str
) -> None:
    split: Counter[str] = Counter()
    real_split = sentences._split

    def counting_split(text: str, start: int, end: int) -> list[sentences.Span]:
        split[text] += 1
        return real_split(text, start, end)

    analysed: list[str] = []
    real_of = QuestionTerms.of.__func__  # type: ignore[attr-defined]

    def counting_of(cls: type[QuestionTerms], question: str) -> QuestionTerms:
        analysed.append(question)
        return real_of(cls, question)  # type: ignore[no-any-return]

    sentences._kept_spans.cache_clear()
    monkeypatch.setattr(sentences, "_split", counting_split)
    monkeypatch.setattr(QuestionTerms, "of", classmethod(counting_of))
    pool = [passage(0, WEATHER), passage(1, ASTANA), passage(2, BEIJING)]
    ctx = context("When did Xi Jinping meet Vladimir Putin in Astana?", pool, reply=reply)

    answer = final_answer(pipeline.run(ctx))

    assert answer.answered  # drafted, or quoted after the refusal
    assert analysed == [ctx.standalone]
    assert all(split[p.chunk.text] == 1 for p in pool)
