"""LangChain's `ChatOpenAI` (langchain-openai) pointed at the OpenAI-compatible route of a real
uvicorn server: what a LangChain user gets, with the parameters it sends by default."""

from __future__ import annotations

import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from tests.api.conftest import LENDING_ANSWER, LENDING_QUESTION


def chat(live_url: str, **options: object) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=f"{live_url}/v1",
        api_key="unused",  # type: ignore[arg-type]
        model="newsrag",
        max_retries=0,
        timeout=30,
        **options,  # type: ignore[arg-type]
    )


def test_invoke_returns_the_answer_with_usage(live_url: str) -> None:
    reply = chat(live_url).invoke([HumanMessage(LENDING_QUESTION)])

    assert isinstance(reply, AIMessage)
    assert reply.content == LENDING_ANSWER
    assert reply.response_metadata["finish_reason"] == "stop"
    usage = reply.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] > 100 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_stream_returns_the_answer_in_pieces_with_usage(live_url: str) -> None:
    # stream_usage makes LangChain send stream_options.include_usage, as it does for OpenAI.
    chunks = list(chat(live_url, stream_usage=True).stream(LENDING_QUESTION))

    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert len([c for c in chunks if c.content]) > 3
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c
    assert merged.content == LENDING_ANSWER
    assert merged.usage_metadata is not None and merged.usage_metadata["output_tokens"] > 0


def test_system_message_and_temperature_are_accepted(live_url: str) -> None:
    reply = chat(live_url, temperature=0.3).invoke(
        [SystemMessage("Answer briefly."), HumanMessage(LENDING_QUESTION)]
    )
    assert reply.content == LENDING_ANSWER


def test_max_tokens_cuts_the_answer(live_url: str) -> None:
    # LangChain sends this as max_completion_tokens.
    reply = chat(live_url, max_tokens=1).invoke(LENDING_QUESTION)

    assert reply.content == "Xi"
    assert reply.response_metadata["finish_reason"] == "length"
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] == 1


def test_n_above_one_is_refused(live_url: str) -> None:
    with pytest.raises(openai.BadRequestError, match="n=2 is not supported"):
        chat(live_url, n=2).invoke(LENDING_QUESTION)


def test_tools_bound_to_the_model_are_refused(live_url: str) -> None:
    def lookup(city: str) -> str:
        """Look a city up."""
        return city

    with pytest.raises(openai.BadRequestError, match="parameter tools is not supported"):
        chat(live_url).bind_tools([lookup]).invoke(LENDING_QUESTION)
