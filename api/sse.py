"""Server-sent events from the service's stream, with errors before the first byte as HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.errors import status_for
from rag.errors import RagError
from rag.service import StreamEvent


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def primed(events: Iterator[StreamEvent]) -> tuple[StreamEvent | None, Iterator[StreamEvent]]:
    """Run the stream up to its first event, so bad input or a dead model raise before the
    response starts and become a proper 4xx/503 instead of a broken stream."""
    first = await run_in_threadpool(next, events, None)
    return first, events


def stream_response(
    first: StreamEvent | None,
    events: Iterator[StreamEvent],
    render: Callable[[StreamEvent], str],
    closing: str = "",
) -> StreamingResponse:
    def body() -> Iterator[str]:
        try:
            if first is not None:
                yield render(first)
            for event in events:
                yield render(event)
            if closing:
                yield closing
        except RagError as exc:
            yield sse("error", {"detail": str(exc), "status": status_for(exc)})

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
