"""Questions with nothing in them and date ranges that end before they start are refused at
the door, over real HTTP, without a model call."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.settings import Settings
from rag.text.blank import is_blank
from tests.conftest import CORPUS
from tests.servers import serve_app

BLANK = ["\x00", "\x00\x01\x02\x1f", " \x00 \t\n\x7f ", "\u200b\u200c\ufeff", "\x85\u2028 "]


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[tuple[httpx.Client, FakeChatModel]]:
    """The real app under uvicorn over the sample corpus, and its scripted model (read-only
    tests, so they share one)."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("data"))  # type: ignore[call-arg]
    model = FakeChatModel("NOT IN ARTICLES")
    service = build_service(settings, llm=model, embedder=embedder)
    assert service.ingest([CORPUS]).ok
    with (
        serve_app(create_app(settings, service)) as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield client, model


@pytest.fixture(autouse=True)
def _no_calls_yet(app: tuple[httpx.Client, FakeChatModel]) -> None:
    app[1].calls.clear()


@pytest.mark.parametrize("question", BLANK)
def test_blank_question_is_recognised(question: str) -> None:
    assert is_blank(question)


@pytest.mark.parametrize("question", ["?", "Wer?", "\x00Who met Putin?", "习近平"])
def test_a_question_with_any_visible_character_is_not_blank(question: str) -> None:
    assert not is_blank(question)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("question", BLANK)
def test_question_of_control_characters_is_a_422_without_a_model_call(
    app: tuple[httpx.Client, FakeChatModel], question: str, stream: bool
) -> None:
    client, model = app
    response = client.post("/v1/chat", json={"question": question, "stream": stream})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "question is empty" in str(response.json()["detail"])
    assert model.calls == []


def test_openai_route_refuses_a_question_of_control_characters(
    app: tuple[httpx.Client, FakeChatModel],
) -> None:
    client, model = app
    body = {"model": "newsrag", "messages": [{"role": "user", "content": "\x00\x01 \x02"}]}
    response = client.post("/v1/chat/completions", json=body)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == "the question is empty"
    assert model.calls == []


@pytest.mark.parametrize("stream", [False, True])
def test_date_range_that_ends_before_it_starts_is_a_422(
    app: tuple[httpx.Client, FakeChatModel], stream: bool
) -> None:
    client, model = app
    filters = {"date_from": "2024-07-05", "date_to": "2024-07-01"}
    body = {"question": "Where did Xi and Putin meet?", "filters": filters, "stream": stream}
    response = client.post("/v1/chat", json=body)

    assert response.status_code == 422, response.text
    assert "date_from 2024-07-05 is after date_to 2024-07-01" in str(response.json()["detail"])
    assert model.calls == []


def test_one_day_range_is_fine(app: tuple[httpx.Client, FakeChatModel]) -> None:
    client, _ = app
    filters = {"date_from": "2024-07-04", "date_to": "2024-07-04"}
    body = {"question": "Where did Xi and Putin meet?", "filters": filters}
    response = client.post("/v1/chat", json=body)

    assert response.status_code == 200, response.text
