"""Map library errors to HTTP once, so every route answers JSON with a clear `detail`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rag.errors import (
    BackendUnavailable,
    DocumentError,
    EmptyCorpus,
    InvalidInput,
    NotFound,
    RagError,
)

log = logging.getLogger("newsrag.api")

STATUS = [
    (DocumentError, 422),
    (InvalidInput, 400),
    (NotFound, 404),
    (EmptyCorpus, 409),
    (BackendUnavailable, 503),
]


def status_for(exc: RagError) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 400)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def rag_error(_: Request, exc: RagError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Never leak a trace to clients; the log has it.
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"detail": "internal error; see the server log"}, status_code=500)
