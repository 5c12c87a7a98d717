"""Map library errors to HTTP once, so every route answers JSON with a clear `detail`."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from rag.errors import (
    BackendUnavailable,
    DiskFull,
    DocumentError,
    EmptyCorpus,
    InvalidInput,
    NotFound,
    RagError,
    UnsupportedFileType,
)

log = logging.getLogger("newsrag.api")

STATUS = [  # first match wins: subclasses before their bases
    (UnsupportedFileType, 415),
    (DocumentError, 422),
    (InvalidInput, 400),
    (NotFound, 404),
    (EmptyCorpus, 409),
    (DiskFull, 507),  # Insufficient Storage: the client can do nothing but tell the operator
    (BackendUnavailable, 503),
]


def status_for(exc: RagError) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 400)


OPENAI_PATH = "/v1/chat/completions"


def error_body(request: Request, status: int, detail: Any) -> dict[str, Any]:
    """`{"detail": ...}`, plus OpenAI's `error` object on the OpenAI-compatible route: OpenAI
    clients read only `error.message` and otherwise report a bare "Error code: 400"."""
    body: dict[str, Any] = {"detail": detail}
    if request.url.path == OPENAI_PATH:
        message = detail if isinstance(detail, str) else f"invalid request: {json.dumps(detail)}"
        kind = "server_error" if status >= 500 else "invalid_request_error"
        body["error"] = {"message": message, "type": kind, "code": status}
    return body


MAX_VALIDATION_ERRORS = 20


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Where and what, without echoing the input back: an echo turns a 5 MB body of unknown
    keys into an 18 MB answer, and a NaN or 1e999 in it cannot be written as JSON (a 500)."""
    shown = [
        {k: v for k, v in error.items() if k not in ("input", "ctx", "url")}
        for error in errors[:MAX_VALIDATION_ERRORS]
    ]
    if len(errors) > MAX_VALIDATION_ERRORS:
        more = len(errors) - MAX_VALIDATION_ERRORS
        shown.append({"type": "too_many_errors", "loc": ["body"], "msg": f"{more} more not shown"})
    return shown


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        status = status_for(exc)
        return JSONResponse(error_body(request, status, str(exc)), status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(request, exc.status_code, exc.detail),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = jsonable_encoder(validation_errors(exc.errors()))
        return JSONResponse(error_body(request, 422, detail), status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Never leak a trace to clients; the log has it.
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"detail": "internal error; see the server log"}, status_code=500)
