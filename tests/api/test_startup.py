"""`rag serve` warms the service up at startup, without holding back the health probe."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.app import create_app
from rag.llm.fake import FakeChatModel
from tests.api.conftest import ServiceFactory


def test_startup_loads_the_model_with_the_system_prompt_in_the_background(
    service_factory: ServiceFactory,
) -> None:
    llm = FakeChatModel("NOT IN ARTICLES", delay_s=0.3)  # a slow model: health must not wait
    service, settings = service_factory(llm)
    system_prompt = service.prompts.render("answer_system")

    with TestClient(create_app(settings, service, warm_up=True)) as client:
        assert client.get("/healthz").status_code == 200
        deadline = time.monotonic() + 10
        while not llm.calls and time.monotonic() < deadline:
            time.sleep(0.05)

    assert llm.calls, "the model was not warmed up"
    assert llm.calls[0][0].content == system_prompt


def test_apps_built_for_tests_do_not_warm_up(service_factory: ServiceFactory) -> None:
    llm = FakeChatModel("NOT IN ARTICLES")
    service, settings = service_factory(llm)

    with TestClient(create_app(settings, service)) as client:
        client.get("/healthz")

    assert llm.calls == []
