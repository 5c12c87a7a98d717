"""The answer path: named steps over one `AnswerContext`, in the order of `STEPS`.

Each step reads what earlier steps put in the context and writes its own part; a step that
settles the answer (an unknown name, nothing retrieved, a date difference computed in code)
calls `ctx.finish`, after which only the steps marked `on_every_answer` run. Steps that call
the model are generators of `Token`s, so the pipeline streams; closing the pipeline closes the
step in progress and, through it, the model's stream.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable

from rag.answer.context import AnswerContext
from rag.answer.events import Final, StreamEvent, Token
from rag.answer.steps.attribute_latest import attribute_latest
from rag.answer.steps.check_premise import check_premise
from rag.answer.steps.compute_in_code import compute_in_code
from rag.answer.steps.draft_answer import draft_answer
from rag.answer.steps.drop_deleted_sources import drop_deleted_sources
from rag.answer.steps.fall_back_to_quote import fall_back_to_quote
from rag.answer.steps.finish_answer import finish_answer
from rag.answer.steps.pick_focus import pick_focus
from rag.answer.steps.reconcile_figures import reconcile_figures
from rag.answer.steps.refuse_unknown_names import refuse_unknown_names
from rag.answer.steps.retrieve_in_scope import retrieve_in_scope
from rag.answer.steps.retry_with_all_passages import retry_with_all_passages
from rag.answer.steps.rewrite_follow_up import rewrite_follow_up

# A step returns the tokens it streams: () for the steps that never call the answer model.
Step = Callable[[AnswerContext], Iterable[Token]]

STEPS: tuple[Step, ...] = (
    rewrite_follow_up,  # a follow-up becomes a question retrieval can answer on its own
    refuse_unknown_names,  # a name no article has: refused without the model
    retrieve_in_scope,  # the question's time phrases bound retrieval; nothing found: refused
    check_premise,  # an event, year or speaker no article gives: a correction, not an answer
    compute_in_code,  # days between two events, a date the passages settle: in code
    pick_focus,  # the passage whose one sentence names what the question asks
    draft_answer,  # the model's draft (streamed), dates repaired, claims verified
    fall_back_to_quote,  # declined or empty draft: quote the sentence that answers
    retry_with_all_passages,  # no quotable sentence: one more draft from every passage
    attribute_latest,  # "latest": say whose article the answer is from
    reconcile_figures,  # other outlets' figures: cite those that agree, name those that differ
    finish_answer,  # the answer, with every passage it cites
    drop_deleted_sources,  # on every answer: nothing from a document deleted meanwhile
)

# Steps that run even after an earlier step finished the answer.
ON_EVERY_ANSWER: frozenset[Step] = frozenset({drop_deleted_sources})


def run(ctx: AnswerContext, steps: tuple[Step, ...] = STEPS) -> Generator[StreamEvent, None, None]:
    """The steps' tokens as they come, then one `Final` with the context's answer."""
    for step in steps:
        if ctx.answer is not None and step not in ON_EVERY_ANSWER:
            continue
        # `yield from` closes the step's generator (and the model stream inside) when this
        # generator is closed mid-step.
        yield from step(ctx)
    if ctx.answer is None:
        raise RuntimeError("the answer steps ended without an answer")
    yield Final(ctx.answer)
