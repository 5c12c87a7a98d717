"""finish_answer: the answer settled, with every passage it cites among its passages."""

from __future__ import annotations

from rag.answer.compose.verified import Verified
from rag.answer.steps.finish_answer import finish_answer
from rag.types import Statement
from tests.unit.answer_context import ASTANA, BEIJING, cite, passage, retrieved


def test_a_cited_passage_beyond_the_top_k_joins_the_answer_s_passages() -> None:
    pool = [passage(0, BEIJING), passage(1, ASTANA)]
    ctx = retrieved("Where did Xi meet Putin?", pool, top_k=1)
    ctx.notes.append("step note")
    citation = cite(pool[1])
    ctx.verified = Verified(
        [Statement("In Astana.", (citation,))], answered=True, notes=["draft note"]
    )

    list(finish_answer(ctx))

    assert ctx.answer is not None
    assert ctx.answer.passages == pool
    assert ctx.answer.notes == ["step note", "draft note"]
    assert ctx.answer.standalone_question == "Where did Xi meet Putin?"
    assert {"generate_s", "total_s"} <= set(ctx.answer.timings)
