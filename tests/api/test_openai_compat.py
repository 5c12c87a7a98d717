"""POST /v1/chat/completions, driven by the real `openai` client against a real uvicorn server."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    API_KEY,
    ARTICLES,
    FOLLOW_UP,
    LENDING_QUESTION,
    LENDING_SOURCE,
    REWRITTEN,
    Corpus,
)
from tests.servers import serve_app


@pytest.fixture
def oai(live_url: str) -> openai.OpenAI:
    # No retries: a failing request must show up as one failure, not be papered over.
    return openai.OpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0, timeout=30)


def assert_lending_citation(citations: list[dict[str, Any]]) -> None:
    [citation] = citations
    assert citation["n"] == 1
    assert citation["source"] == LENDING_SOURCE
    assert citation["date"] == "2023-10-18"
    text = (ARTICLES / LENDING_SOURCE).read_text(encoding="utf-8")
    assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_openai_client_gets_answer_and_citations(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": LENDING_QUESTION}]
    )

    assert completion.object == "chat.completion"
    assert completion.model == "newsrag"
    [choice] = completion.choices
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert "$100 billion" in (choice.message.content or "")
    assert_lending_citation((completion.model_extra or {})["citations"])


def test_openai_client_streams_answer_then_citations(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": LENDING_QUESTION}], stream=True
    )
    chunks = list(stream)

    assert len(chunks) > 3
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "$100 billion" in text and "[1]" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1
    assert_lending_citation((chunks[-1].model_extra or {})["citations"])


def test_earlier_messages_are_the_conversation_history(oai: openai.OpenAI, corpus: Corpus) -> None:
    calls_before = len(corpus.llm.calls)
    completion = oai.chat.completions.create(
        model="newsrag",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": LENDING_QUESTION},
            {"role": "assistant", "content": "Xi announced an additional $100 billion in loans."},
            {"role": "user", "content": FOLLOW_UP},
        ],
    )

    condense = corpus.llm.calls[calls_before][-1].content
    assert "Follow-up question: " + FOLLOW_UP in condense
    assert LENDING_QUESTION in condense
    # The system message is the client's, not part of the conversation the service rewrites.
    assert "You are helpful." not in condense
    assert REWRITTEN in corpus.llm.calls[calls_before + 1][-1].content
    assert_lending_citation((completion.model_extra or {})["citations"])


def test_content_parts_are_joined_into_the_question(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="newsrag",
        messages=[{"role": "user", "content": [{"type": "text", "text": LENDING_QUESTION}]}],
    )
    assert "$100 billion" in (completion.choices[0].message.content or "")


def test_last_message_must_be_from_the_user(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(
            model="newsrag", messages=[{"role": "assistant", "content": "hello"}]
        )
    # The reason reaches the client's exception, not just "Error code: 400".
    assert "last message must be a user message" in caught.value.message
    body = caught.value.response.json()
    assert body["detail"] == body["error"]["message"]
    assert body["error"]["type"] == "invalid_request_error"


def test_overlong_question_is_a_400_for_the_client(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": "x" * 2001}]
        )
    assert "limit is 2000" in caught.value.message


def test_empty_messages_are_a_422_with_a_reason(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        oai.chat.completions.create(model="newsrag", messages=[])
    assert "messages" in caught.value.message


def test_openai_client_sends_its_api_key_as_bearer(corpus: Corpus) -> None:
    with serve_app(corpus.app(api_key=API_KEY)) as url:
        good = openai.OpenAI(base_url=f"{url}/v1", api_key=API_KEY, max_retries=0)
        bad = openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0)
        messages: Any = [{"role": "user", "content": LENDING_QUESTION}]

        assert good.chat.completions.create(model="newsrag", messages=messages).choices
        with pytest.raises(openai.AuthenticationError) as caught:
            bad.chat.completions.create(model="newsrag", messages=messages)
        assert "wrong API key" in caught.value.message
        with pytest.raises(openai.AuthenticationError):
            list(bad.chat.completions.create(model="newsrag", messages=messages, stream=True))


def test_raw_sse_frames_end_with_done(client: TestClient) -> None:
    # What non-Python clients parse: `data:` frames and the `[DONE]` sentinel.
    response = client.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": LENDING_QUESTION}], "stream": True},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in response.text.split("\n\n") if f]
    assert all(f.startswith("data: ") for f in frames)
    assert frames[-1] == "data: [DONE]"
