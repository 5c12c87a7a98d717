"""What an OpenAI chat request may ask of this server, and the answer cut to what it asked.

Every request parameter is honoured, accepted as having no effect on a verified answer, or
refused with a 400 that names it; none is dropped silently (a client that asked for `n=2` or
for tools must learn that it got neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from api.markdown_text import inert_markdown
from api.schemas import OpenAIChatIn
from rag.errors import InvalidInput
from rag.llm.tokens import Tokenizer

# Sampling knobs and bookkeeping: the answer is written at the server's temperature and then
# verified against the articles, so these cannot change it; refusing them would break clients
# that always send them (the OpenAI SDK's users, LangChain with `temperature=` set).
ACCEPTED_WITHOUT_EFFECT = frozenset(
    {
        "temperature",
        "top_p",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "user",
        "metadata",
        "store",
        "service_tier",
        "parallel_tool_calls",
        "prompt_cache_key",
        "safety_identifier",
    }
)
MAX_STOP_SEQUENCES = 4  # as OpenAI allows


@dataclass(frozen=True)
class CompletionOptions:
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    include_usage: bool = False  # a last stream chunk with `usage`, as stream_options asks


@dataclass(frozen=True)
class Content:
    """The answer as the client gets it: Markdown-inert, cut at a stop sequence or limit."""

    text: str
    finish_reason: Literal["stop", "length"]
    tokens: int


def completion_options(body: OpenAIChatIn) -> CompletionOptions:
    """The request's honoured options; `InvalidInput` (400) naming any parameter it refuses."""
    if body.n is not None and body.n != 1:
        raise InvalidInput(
            f"n={body.n} is not supported: this server writes one verified answer per "
            "request; send n=1 or leave n out"
        )
    if body.logprobs or body.top_logprobs:
        name = "logprobs" if body.logprobs else "top_logprobs"
        raise InvalidInput(
            f"parameter {name} is not supported: the answer is checked and rewritten in code "
            "after the model writes it, so its tokens have no log probabilities"
        )
    if body.tools or body.tool_choice not in (None, "none", "auto"):
        name = "tools" if body.tools else "tool_choice"
        raise InvalidInput(
            f"parameter {name} is not supported: this server answers from its articles and "
            "calls no tools"
        )
    if body.response_format is not None and body.response_format.get("type") != "text":
        raise InvalidInput(
            f"response_format type {body.response_format.get('type')!r} is not supported: "
            "answers are plain text with [n] citation markers; send type 'text' or leave it out"
        )
    unknown = sorted(set(body.model_extra or {}) - ACCEPTED_WITHOUT_EFFECT)
    if unknown:
        raise InvalidInput(
            f"unsupported parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
            "(README, OpenAI-compatible route, lists what this server takes)"
        )
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    if len(stop) > MAX_STOP_SEQUENCES:
        raise InvalidInput(f"stop takes at most {MAX_STOP_SEQUENCES} sequences, not {len(stop)}")
    limits = [n for n in (body.max_tokens, body.max_completion_tokens) if n is not None]
    return CompletionOptions(
        max_tokens=min(limits) if limits else None,
        stop=tuple(s for s in stop if s),
        include_usage=bool(body.stream_options and body.stream_options.include_usage),
    )


def shape_content(answer: str, tokenizer: Tokenizer, options: CompletionOptions) -> Content:
    """`answer` made Markdown-inert, then cut before the first stop sequence, then to
    `max_tokens` tokens of the model's tokenizer (finish_reason `length`)."""
    text = inert_markdown(answer)
    cuts = [i for i in (text.find(s) for s in options.stop) if i >= 0]
    if cuts:
        text = text[: min(cuts)]
    finish: Literal["stop", "length"] = "stop"
    if options.max_tokens is not None and tokenizer.count_tokens(text) > options.max_tokens:
        text = tokenizer.truncate_tokens(text, options.max_tokens)
        finish = "length"
    return Content(text, finish, tokenizer.count_tokens(text))
