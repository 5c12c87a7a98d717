"""The embedded chat model: a GGUF file run in-process by llama-cpp-python."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.cancellation import Cancellation
from rag.errors import ModelNotInstalled
from rag.llm.turns import TurnLock
from rag.types import Message


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

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        cancel: Cancellation | None = None,
    ) -> Iterator[str]:
        with self._turns.turn(cancel):
            chunks: Any = self._llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
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
                        yield piece
            finally:
                # Stops llama.cpp's generation loop now, not when the generator is collected.
                chunks.close()

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    def ping(self) -> None:
        return None  # in-process: loaded means ready
