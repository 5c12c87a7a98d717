"""Dependencies shared by the routes: the one service object and the API-key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from rag.service import RagService
from rag.settings import Settings


def get_service(request: Request) -> RagService:
    return request.app.state.service  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def require_api_key(request: Request) -> None:
    """When an API key is configured, every /v1 call must carry it as a Bearer token."""
    expected = get_settings(request).api.api_key
    if expected is None or not expected.get_secret_value():
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.get_secret_value().encode()
    ):
        raise HTTPException(
            status_code=401,
            detail="missing or wrong API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


ServiceDep = Annotated[RagService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
