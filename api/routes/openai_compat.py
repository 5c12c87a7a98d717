"""POST /v1/chat/completions: the OpenAI chat API shape, so existing clients work unchanged.

The last user message is the question; earlier user/assistant pairs are the history. The
verified citations ride along in an extra `citations` field. When streaming, the chunks carry
the verified answer, not the raw draft: an OpenAI client cannot take back text it was sent.
What a request may ask (max_tokens, stop, n, ...) is decided in api/openai_options.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.admission import AdmittedDep
from api.deps import ServiceDep
from api.openai_options import CompletionOptions, Content, completion_options, shape_content
from api.openai_response import ChatCompletionOut, CompletionUsage
from api.schemas import CitationOut, ErrorOut, OpenAIChatIn
from api.sse import primed
from rag.errors import InvalidInput, RagError
from rag.llm.tokens import tokenizer_of
from rag.service import RagService, StreamEvent, final_answer
from rag.text.blank import Question
from rag.types import Answer, Turn

router = APIRouter()


class CompletionRequest(NamedTuple):
    """A chat completion request the service accepts: its question, history and options."""

    body: OpenAIChatIn
    question: Question
    history: list[Turn]
    options: CompletionOptions


def checked_completion(body: OpenAIChatIn, service: ServiceDep) -> CompletionRequest:
    """The request, once its messages, options and question are usable (a 400 otherwise).

    A dependency listed before the admission one, so FastAPI runs it first: an unusable
    request is answered at once, never 503 and never holding a place in line.
    """
    question, history = _split_messages(body)
    checked = service.check_question(question)
    return CompletionRequest(body, checked, history, completion_options(body))


@router.post(
    "/v1/chat/completions",
    responses={
        200: {
            "description": "An OpenAI chat.completion, or with `stream` its chunks as SSE",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "properties": {"data": {"type": "string"}},
                        "required": ["data"],
                    }
                },
            },
        },
        **{code: {"model": ErrorOut} for code in (400, 401, 409, 413, 422, 503)},
    },
)
async def chat_completions(
    request: Annotated[CompletionRequest, Depends(checked_completion)],
    service: ServiceDep,
    admitted: AdmittedDep,
) -> object:
    body, question, history, options = request
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    filters = body.filters.to_filters() if body.filters else None
    events = admitted.owns(
        service.ask_stream(question, history, filters, body.as_of, cancel=admitted.cancel)
    )
    if not body.stream:
        answer, content = await run_in_threadpool(_answer, service, events, options)
        return ChatCompletionOut.from_answer(
            answer, content, completion_id=completion_id, created=created, model=body.model
        )
    # Prime so that a bad question or a dead model is an HTTP error, not a broken stream.
    first, rest = await primed(events)
    chain = iter([first] if first is not None else [])

    def chunks() -> Iterator[str]:
        try:
            answer, content = _answer(service, _chain(chain, rest), options)
        except RagError as exc:
            yield _data({"error": {"message": str(exc), "type": "server_error"}})
            yield "data: [DONE]\n\n"
            return
        yield _data(
            _chunk(completion_id, created, body.model, {"role": "assistant", "content": ""})
        )
        for piece in _pieces(content.text):
            yield _data(_chunk(completion_id, created, body.model, {"content": piece}))
        last = _chunk(completion_id, created, body.model, {}, content.finish_reason)
        last["citations"] = [c.model_dump(mode="json") for c in CitationOut.all_from(answer)]
        yield _data(last)
        if options.include_usage:
            # As OpenAI sends it: a chunk of its own, with no choices, after the last one.
            tail = _chunk(completion_id, created, body.model, {})
            tail["choices"] = []
            tail["usage"] = CompletionUsage.of(answer, content).model_dump()
            yield _data(tail)
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")


def _answer(
    service: RagService, events: Iterator[StreamEvent], options: CompletionOptions
) -> tuple[Answer, Content]:
    """The verified answer, and its text as this request asked for it (counted and cut in
    the model's own tokens where the model has a tokenizer)."""
    answer = final_answer(events)
    return answer, shape_content(answer.text, tokenizer_of(service.llm), options)


def _split_messages(body: OpenAIChatIn) -> tuple[str, list[Turn]]:
    dialogue = [m for m in body.messages if m.role in ("user", "assistant")]
    if not dialogue or dialogue[-1].role != "user":
        raise InvalidInput("the last message must be a user message with the question")
    history: list[Turn] = []
    pending: str | None = None
    for message in dialogue[:-1]:
        if message.role == "user":
            pending = message.text()
        elif pending is not None:
            history.append(Turn(pending, message.text()))
            pending = None
    return dialogue[-1].text(), history


def _chain(*iterators: Iterator[object]) -> Iterator[object]:
    for it in iterators:
        yield from it


def _pieces(text: str) -> Iterator[str]:
    words = text.split(" ")
    for i, word in enumerate(words):
        yield word if i == 0 else " " + word


def _chunk(
    cid: str, created: int, model: str, delta: dict[str, str], finish_reason: str | None = None
) -> dict[str, object]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _data(payload: dict[str, object]) -> str:
    import json

    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
