"""Any OpenAI-compatible chat server (OpenAI, vLLM, llama.cpp server, Ollama)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from urllib.parse import urlsplit, urlunsplit

import openai

from rag.cancellation import Cancellation
from rag.errors import BackendUnavailable
from rag.types import Message, TokenUsage


class OpenAICompatModel:
    def __init__(
        self,
        base_url: str | None,
        model: str,
        api_key: str | None,
        timeout_s: float = 120.0,
        max_retries: int = 1,
    ) -> None:
        self.name = model
        self._model = model
        # Error messages reach API clients and Slack: never with credentials from the URL.
        self._base_url = public_url(base_url or "https://api.openai.com/v1")
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout_s,
            max_retries=max_retries,
        )

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Generator[str, None, TokenUsage | None]:
        usage: TokenUsage | None = None
        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            response = self._client.chat.completions.create(
                model=self._model,
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
                # The server's own counts, in a last chunk without choices (OpenAI, vLLM,
                # llama.cpp and Ollama send it); a server that ignores this leaves them to
                # UsageMeter's approximation.
                stream_options={"include_usage": True},
            )
            # Closing the response drops the connection, which stops the server generating
            # (llama.cpp server, vLLM) when the question is cancelled or abandoned.
            with response:
                for chunk in response:
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    if chunk.usage is not None:
                        usage = TokenUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except openai.APITimeoutError:
            raise BackendUnavailable(f"the model server at {self._base_url} timed out") from None
        except openai.APIConnectionError:
            raise BackendUnavailable(f"cannot reach the model server at {self._base_url}") from None
        except openai.APIStatusError as exc:
            raise BackendUnavailable(
                f"the model server at {self._base_url} answered HTTP {exc.status_code}"
            ) from None
        return usage

    def ping(self) -> None:
        try:
            self._client.models.list()
        except openai.APIStatusError as exc:
            # The status only: an error body may echo the request, Authorization header included.
            raise BackendUnavailable(
                f"model server at {self._base_url} not reachable: it answered HTTP "
                f"{exc.status_code}"
            ) from None
        except openai.APIError as exc:
            raise BackendUnavailable(
                f"model server at {self._base_url} not reachable: {exc}"
            ) from None


def public_url(url: str) -> str:
    """`url` without user, password, query or fragment ("https://u:p@host/v1?key=k" gives
    "https://host/v1")."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
