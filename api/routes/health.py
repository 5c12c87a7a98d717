"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ServiceDep
from rag.errors import RagError

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    # On the event loop, never a worker thread: those may all be waiting for the model.
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(service: ServiceDep) -> JSONResponse:
    try:
        checks = await run_in_threadpool(service.ready)
    except RagError as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
    return JSONResponse({"status": "ready", **checks, "chunks": service.store.count()})
