"""attribute_latest: a "latest" answer names the outlet and day of the newest article."""

from __future__ import annotations

from rag.answer.compose.verified import Verified
from rag.answer.steps.attribute_latest import attribute_latest
from rag.types import Passage, Statement
from tests.unit.answer_context import ASTANA, cite, passage, retrieved


def _answer(p: Passage) -> Verified:
    return Verified([Statement("They met in Astana.", (cite(p),))], answered=True)


def test_the_newest_article_s_outlet_and_day_are_named() -> None:
    pool = [passage(0, ASTANA)]
    ctx = retrieved("Where did Xi last meet Putin?", pool)
    ctx.newest = 0
    ctx.verified = _answer(pool[0])

    list(attribute_latest(ctx))

    assert ctx.so_far.text != "They met in Astana [1]."
    assert "4 July 2024" in ctx.so_far.text


def test_without_a_latest_question_the_answer_is_unchanged() -> None:
    pool = [passage(0, ASTANA)]
    ctx = retrieved("Where did Xi meet Putin?", pool)
    ctx.verified = answer = _answer(pool[0])

    list(attribute_latest(ctx))

    assert ctx.verified is answer
