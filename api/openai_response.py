"""The body of an OpenAI `chat.completion`, built from the verified answer, with newsrag's
`citations` (the same objects `/v1/chat` returns) as an extra field."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from api.openai_options import Content
from api.schemas import CitationOut
from rag.types import Answer


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, answer: Answer, content: Content) -> CompletionUsage:
        """What the model read for this answer (every call it took), and the tokens of the
        text returned: the draft is verified and may be replaced, so what it wrote is not the
        answer."""
        prompt = answer.usage.prompt_tokens
        return cls(
            prompt_tokens=prompt,
            completion_tokens=content.tokens,
            total_tokens=prompt + content.tokens,
        )


class CompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class CompletionChoice(BaseModel):
    index: int = 0
    message: CompletionMessage
    finish_reason: Literal["stop", "length"]


class ChatCompletionOut(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: CompletionUsage
    citations: list[CitationOut]

    @classmethod
    def from_answer(
        cls, answer: Answer, content: Content, *, completion_id: str, created: int, model: str
    ) -> ChatCompletionOut:
        """`content` is the answer's text as the request asked for it (cut, counted)."""
        return cls(
            id=completion_id,
            created=created,
            model=model,
            choices=[
                CompletionChoice(
                    message=CompletionMessage(content=content.text),
                    finish_reason=content.finish_reason,
                )
            ],
            usage=CompletionUsage.of(answer, content),
            citations=CitationOut.all_from(answer),
        )
