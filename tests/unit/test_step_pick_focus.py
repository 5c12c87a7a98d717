"""pick_focus: the passage whose one sentence names what the question asks, if any."""

from __future__ import annotations

from rag.answer.steps.pick_focus import pick_focus
from tests.unit.answer_context import ASTANA, WEATHER, passage, retrieved


def test_the_passage_with_the_answering_sentence_is_the_focus_even_beyond_the_top_k() -> None:
    pool = [passage(0, WEATHER), passage(1, ASTANA)]
    ctx = retrieved("When did Xi Jinping meet Vladimir Putin in Astana?", pool, top_k=1)

    list(pick_focus(ctx))

    assert ctx.focus == 1
    assert ctx.passages == pool  # the focus joins the prompt's passages
    assert ctx.quotable == ctx.matches
    assert ctx.newest is None


def test_no_sentence_naming_the_question_s_names_means_no_focus() -> None:
    ctx = retrieved("When did Xi meet Modi in Delhi?", [passage(0, WEATHER), passage(1, ASTANA)])

    list(pick_focus(ctx))

    assert ctx.focus is None
    assert len(ctx.matches) == 3  # every sentence of the pool is scored


def test_each_article_is_read_from_the_store_once() -> None:
    pool = [passage(0, WEATHER, doc="a"), passage(1, ASTANA, doc="a"), passage(2, ASTANA)]
    ctx = retrieved("When did Xi meet Putin in Astana?", pool)

    list(pick_focus(ctx))

    store = ctx.parts.store
    assert sorted(store.chunks_read) == ["002", "a"]  # type: ignore[attr-defined]
