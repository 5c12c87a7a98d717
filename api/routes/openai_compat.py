"""POST /v1/chat/completions: the OpenAI chat API shape, so existing clients work unchanged.

The last user message is the question; earlier user/assistant pairs are the history. The
verified citations ride along in an extra `citations` field. When streaming, the chunks carry
the verified answer, not the raw draft: an OpenAI client cannot take back text it was sent.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import ServiceDep, SettingsDep
from api.schemas import ErrorOut, OpenAIChatIn
from api.sse import primed
from rag.errors import InvalidInput, RagError
from rag.presenters import citation_to_dict
from rag.service import final_answer
from rag.types import Answer, Turn

router = APIRouter()


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
    body: OpenAIChatIn, service: ServiceDep, settings: SettingsDep
) -> object:
    question, history = _split_messages(body)
    if len(question) > settings.api.max_question_chars:
        raise InvalidInput(
            f"the question is {len(question)} characters; "
            f"the limit is {settings.api.max_question_chars}"
        )
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    filters = body.filters.to_filters() if body.filters else None
    events = service.ask_stream(question, history, filters, body.as_of)
    if not body.stream:
        answer = await run_in_threadpool(final_answer, events)
        return _completion(completion_id, created, body.model, answer)
    # Prime so that a bad question or a dead model is an HTTP error, not a broken stream.
    first, rest = await primed(events)
    chain = iter([first] if first is not None else [])

    def chunks() -> Iterator[str]:
        try:
            answer = final_answer(_chain(chain, rest))
        except RagError as exc:
            yield _data({"error": {"message": str(exc), "type": "server_error"}})
            yield "data: [DONE]\n\n"
            return
        yield _data(
            _chunk(completion_id, created, body.model, {"role": "assistant", "content": ""})
        )
        for piece in _pieces(answer.text):
            yield _data(_chunk(completion_id, created, body.model, {"content": piece}))
        last = _chunk(completion_id, created, body.model, {}, finish_reason="stop")
        last["citations"] = [citation_to_dict(c) for c in answer.citations]
        yield _data(last)
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")


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


def _completion(cid: str, created: int, model: str, answer: Answer) -> dict[str, object]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": [citation_to_dict(c) for c in answer.citations],
    }


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
