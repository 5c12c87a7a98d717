"""The embedded chat model: a GGUF file run in-process by llama-cpp-python."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

from rag.cancellation import Cancellation
from rag.errors import ModelNotInstalled
from rag.llm.tokens import APPROX_TOKENS_PER_MESSAGE
from rag.llm.turns import TurnLock
from rag.types import Message, TokenUsage


class LocalModel:
    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelNotInstalled(
                "llama-cpp-python is not installed; run the set-up command in README "
                "(or set RAG_LLM__BACKEND=openai to use a model server)"
            ) from None
        if not model_path.is_file():
            raise ModelNotInstalled(f"model file {model_path} not found")
        self.name = model_path.stem
        self._llm = Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_threads=n_threads or os.cpu_count() or 2,
            verbose=False,
        )
        # llama.cpp contexts are not thread-safe: one generation at a time, in arrival order;
        # a cancelled question leaves the line without the model reading its prompt.
        self._turns = TurnLock()
        self._format_prompt = _gguf_chat_formatter(self._llm)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Generator[str, None, TokenUsage]:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        pieces: list[str] = []
        with self._turns.turn(cancel):
            chunks: Any = self._llm.create_chat_completion(
                messages=chat,
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            )
            try:
                for chunk in chunks:
                    if cancel is not None:
                        # Checked per token: each one is ~50-80 ms of both cores.
                        cancel.raise_if_cancelled()
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        pieces.append(piece)
                        yield piece
            finally:
                # Stops llama.cpp's generation loop now, not when the generator is collected.
                chunks.close()
        # llama-cpp-python reports usage only without streaming; these are the same counts:
        # the prompt as its chat template renders it, and the text generated (no end token).
        return TokenUsage(self._prompt_tokens(chat), self.count_tokens("".join(pieces)))

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    def truncate_tokens(self, text: str, n: int) -> str:
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=False)
        if len(tokens) <= n:
            return text
        # A cut inside a multi-byte character drops that character's leading bytes.
        return self._llm.detokenize(tokens[: max(n, 0)]).decode("utf-8", errors="ignore")

    def _prompt_tokens(self, chat: list[dict[str, str]]) -> int:
        if self._format_prompt is None:
            return sum(self.count_tokens(m["content"]) + APPROX_TOKENS_PER_MESSAGE for m in chat)
        result = self._format_prompt(messages=chat)
        return len(
            self._llm.tokenize(
                result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
            )
        )

    def ping(self) -> None:
        return None  # in-process: loaded means ready


def _gguf_chat_formatter(llm: Any) -> Callable[..., Any] | None:
    """The formatter llama-cpp-python builds from the GGUF's chat template, when that is the
    format it chats in (it is for Qwen2.5); None for its built-in named formats."""
    template = llm.metadata.get("tokenizer.chat_template")
    if llm.chat_format != "chat_template.default" or not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def token_text(token: int) -> str:
        return llm._model.token_get_text(token) if token != -1 else ""

    eos, bos = llm.token_eos(), llm.token_bos()
    return Jinja2ChatFormatter(
        template=template,
        eos_token=token_text(eos),
        bos_token=token_text(bos),
        stop_token_ids=[eos],
    )
