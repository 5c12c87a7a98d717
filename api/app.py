"""The FastAPI app: thin routes over one RagService."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse

from api.admission import Admission
from api.deps import require_api_key
from api.errors import install_error_handlers
from api.limits import BodySizeLimit, BodyTimeout
from api.routes import chat, documents, health, openai_compat
from rag.service import RagService
from rag.settings import Settings

STATIC = Path(__file__).parent / "static"


def serve_app() -> FastAPI:
    """The app `rag serve` runs (one per worker): warmed up in the background at startup."""
    return create_app(warm_up=True)


def create_app(
    settings: Settings | None = None, service: RagService | None = None, warm_up: bool = False
) -> FastAPI:
    settings = settings or Settings()
    if service is None:
        from rag.factory import build_service

        service = build_service(settings)
    logging.basicConfig(level=logging.INFO)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            # Questions that arrive meanwhile wait for the model lock, never load it twice.
            service.warm_up_in_background()
        yield

    app = FastAPI(
        title="newsrag",
        version="0.1.0",
        description="Questions answered from news articles, with verified citations.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    from rag.factory import build_write_lock

    app.state.write_lock = build_write_lock(settings)
    # Per process: with `rag serve --workers N` each worker takes this many.
    app.state.admission = Admission(settings.api.max_pending_questions)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api.max_request_bytes)
    # Outermost, so its deadline covers every read of the body, the size check's included.
    app.add_middleware(BodyTimeout, timeout_s=settings.api.body_timeout_s)
    if settings.api.cors_origins:
        # Browsers on these origins may call the API (a chat widget on another site); the
        # Bearer key still applies, so credentials (cookies) are never allowed.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
        )
    guarded = [Depends(require_api_key)]
    app.include_router(chat.router, dependencies=guarded, tags=["chat"])
    app.include_router(openai_compat.router, dependencies=guarded, tags=["openai"])
    app.include_router(documents.router, dependencies=guarded, tags=["documents"])
    app.include_router(health.router, tags=["health"])
    if settings.slack.bot_token and settings.slack.signing_secret:
        from api.slack import slack_router

        # One bound for chat and Slack: both wait for the same model.
        app.include_router(slack_router(service, settings, app.state.admission), tags=["slack"])

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app
