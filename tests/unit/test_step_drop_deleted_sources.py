"""drop_deleted_sources: nothing of a document deleted while the answer was written."""

from __future__ import annotations

import pytest

from rag.answer.compose.verified import Verified
from rag.answer.steps.drop_deleted_sources import drop_deleted_sources
from rag.answer.steps.finish_answer import finish_answer
from rag.types import Statement
from tests.unit.answer_context import ASTANA, BEIJING, cite, passage, retrieved


def test_a_deleted_cited_chunk_leaves_the_answer() -> None:
    pool = [passage(0, BEIJING), passage(1, ASTANA)]
    ctx = retrieved("Where did Xi meet Putin?", pool, deleted=[pool[1].chunk.chunk_id])
    citation = cite(pool[1])
    ctx.verified = Verified([Statement("In Astana.", (citation,))], answered=True)
    list(finish_answer(ctx))

    list(drop_deleted_sources(ctx))

    assert ctx.answer is not None
    assert ctx.answer.citations == []
    assert pool[1] not in ctx.answer.passages


def test_it_needs_a_finished_answer() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, ASTANA)])

    with pytest.raises(RuntimeError):
        list(drop_deleted_sources(ctx))
