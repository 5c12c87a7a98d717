"""draft_answer: the model's draft streamed, the refusal marker held back, claims verified."""

from __future__ import annotations

from collections.abc import Generator, Sequence

from rag.answer.steps.draft_answer import draft_answer
from rag.cancellation import Cancellation
from rag.types import Message, TokenUsage
from tests.unit.answer_context import ASTANA, BEIJING, model, passage, retrieved

ANSWER = "Xi and Putin met on 3 July 2024 in Astana [1]."


def test_a_focused_question_gets_the_one_passage_prompt_and_streams_its_tokens() -> None:
    pool = [passage(0, BEIJING), passage(1, ASTANA)]
    ctx = retrieved("When did Xi meet Putin in Astana?", pool, reply=ANSWER)
    ctx.focus = 1

    streamed = "".join(t.text for t in draft_answer(ctx))

    assert streamed == ANSWER
    prompt = model(ctx).calls[0][-1].content
    assert "Astana, Kazakhstan" in prompt and "Beijing" not in prompt
    assert ctx.so_far.answered and ctx.so_far.citations[0].chunk_id == pool[1].chunk.chunk_id
    assert "first_token_s" in ctx.timings and "verify_s" in ctx.timings
    assert ctx.notes[0] == f"answering from {pool[1].chunk.chunk_id}, whose sentence matches"


def test_without_a_focus_every_prompt_passage_is_shown() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, BEIJING), passage(1, ASTANA)])

    list(draft_answer(ctx))

    prompt = model(ctx).calls[0][-1].content
    assert "Astana, Kazakhstan" in prompt and "Beijing" in prompt


def test_the_refusal_marker_never_reaches_the_client() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, ASTANA)], reply="NOT IN ARTICLES")

    assert list(draft_answer(ctx)) == []

    assert ctx.so_far.answered is False
    assert "first_token_s" not in ctx.timings


def test_a_date_the_passage_states_replaces_the_model_s() -> None:
    ctx = retrieved(
        "When did Xi meet Putin in Astana?",
        [passage(0, ASTANA)],
        reply="Xi and Putin met on 4 July 2024 in Astana [1].",
    )

    list(draft_answer(ctx))

    assert "3 July 2024" in ctx.so_far.text
    assert any(note.startswith("date set in code") for note in ctx.notes)


class _WatchedModel:
    """Streams forever until closed; records that its stream was closed."""

    name = "watched"

    def __init__(self) -> None:
        self.closed = False

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Generator[str, None, TokenUsage]:
        try:
            while True:
                yield "Astana "
        finally:
            self.closed = True

    def ping(self) -> None:
        return None


def test_closing_the_step_closes_the_model_stream() -> None:
    ctx = retrieved("Where did Xi meet Putin?", [passage(0, ASTANA)])
    watched = _WatchedModel()
    object.__setattr__(ctx.parts, "llm", lambda: watched)

    steps = draft_answer(ctx)
    next(iter(steps))
    steps.close()  # type: ignore[attr-defined]

    assert watched.closed
