"""Reject oversized request bodies before they are read into memory, and bodies that never
arrive in full (a client that declares more than it sends holds a connection otherwise)."""

from __future__ import annotations

import json

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """413 when Content-Length, or the bytes actually sent, exceed `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(send, self.max_bytes)
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await _too_large(send, self.max_bytes)


class _TooLarge(HTTPException):
    # An HTTPException because FastAPI turns any other error raised while it reads the body
    # into "400 There was an error parsing the body"; this one it re-raises, so the app's own
    # handler answers 413 when the body had no Content-Length (chunked) and ran over.
    def __init__(self, limit: int) -> None:
        super().__init__(413, _detail(limit))


def _detail(limit: int) -> str:
    return f"request body is over the {limit}-byte limit"


async def _too_large(send: Send, limit: int) -> None:
    await _json_error(send, 413, _detail(limit))


async def _json_error(
    send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTimeout:
    """408 when the request body has not arrived in full within `timeout_s` of the request.

    uvicorn waits for a declared body forever (its keep-alive timeout runs only between
    requests). The response closes the connection: the rest of the body may still come.
    A response sent before the body was read in full closes the connection too, so a client
    cannot keep it by trickling the body that nobody reads.
    """

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        body_done = not _declares_body(headers)
        deadline = anyio.current_time() + self.timeout_s
        response_started = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    body_done = True
                return message
            raise _BodyTimedOut(self.timeout_s)

        async def closing_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                if not body_done:
                    message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        try:
            await self.app(scope, timed_receive, closing_send)
        except _BodyTimedOut as exc:
            if not response_started:
                await _json_error(send, 408, str(exc.detail), [_CLOSE])


_CLOSE = (b"connection", b"close")


def _declares_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return b"transfer-encoding" in headers


class _BodyTimedOut(HTTPException):
    # An HTTPException for the same reason as _TooLarge: FastAPI re-raises it from its body
    # parsing, so the app's handler answers 408 in the route's usual JSON shape.
    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            408,
            f"the request body did not arrive in full within {timeout_s:g} s",
            headers={"Connection": "close"},
        )
