"""POST /v1/chat: one question in, a verified answer out (JSON or server-sent events)."""

from __future__ import annotations

from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.admission import AdmittedDep
from api.deps import ServiceDep
from api.schemas import ChatIn, ChatOut, ErrorOut
from api.sse import primed, sse, stream_response
from rag.service import StreamEvent, Token, final_answer
from rag.text.blank import Question

router = APIRouter()

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorOut} for code in (400, 401, 404, 408, 409, 413, 422, 503)
}
# Documented so that clients (and schema-driven tests) know the streaming variant exists.
STREAM: dict[int | str, dict[str, object]] = {
    200: {
        "description": "JSON, or with `stream` or `Accept: text/event-stream` server-sent "
        "events: `token` events, then one `final` event holding this JSON body",
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "event": {"enum": ["token", "final", "error"]},
                        "data": {"type": "string"},
                    },
                    "required": ["event", "data"],
                }
            }
        },
    }
}


class ChatRequest(NamedTuple):
    """A chat request whose question the service has accepted."""

    body: ChatIn
    question: Question


def checked_chat(body: ChatIn, service: ServiceDep) -> ChatRequest:
    """The request, once the service accepts its question (a 400 otherwise).

    A dependency listed before the admission one, so FastAPI runs it first: an unusable
    question is answered at once, never 503 and never holding a place in line.
    """
    return ChatRequest(body, service.check_question(body.question))


@router.post("/v1/chat", response_model=ChatOut, responses={**ERRORS, **STREAM})
async def chat(
    checked: Annotated[ChatRequest, Depends(checked_chat)],
    request: Request,
    service: ServiceDep,
    admitted: AdmittedDep,
) -> ChatOut | StreamingResponse:
    body, question = checked
    conversation_id = service.conversation(body.conversation_id)
    filters = body.filters.to_filters() if body.filters else None
    events = admitted.owns(
        service.chat(question, conversation_id, filters, body.as_of, cancel=admitted.cancel)
    )
    wants_stream = body.stream or "text/event-stream" in request.headers.get("accept", "")
    if not wants_stream:
        answer = await run_in_threadpool(final_answer, events)
        return ChatOut.from_answer(answer, conversation_id)
    first, rest = await primed(events)

    def render(event: StreamEvent) -> str:
        if isinstance(event, Token):
            return sse("token", {"text": event.text})
        out = ChatOut.from_answer(event.answer, conversation_id)
        return sse("final", out.model_dump(mode="json"))

    return stream_response(first, rest, render)
