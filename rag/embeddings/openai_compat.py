"""Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint."""

from __future__ import annotations

from collections.abc import Sequence

import openai

from rag.errors import BackendUnavailable


class OpenAIEmbedder:
    def __init__(
        self,
        model: str,
        base_url: str | None,
        api_key: str | None,
        batch_size: int = 64,
        timeout_s: float = 60.0,
    ) -> None:
        self.name = model
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=1
        )
        self._model = model
        self._batch_size = batch_size
        self.dim = 0  # learnt from the first answer; callers that need it early call probe()

    def probe(self) -> int:
        self.dim = len(self.embed(["dimension probe"])[0])
        return self.dim

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        try:
            for i in range(0, len(texts), self._batch_size):
                batch = list(texts[i : i + self._batch_size])
                response = self._client.embeddings.create(model=self._model, input=batch)
                vectors.extend(
                    item.embedding for item in sorted(response.data, key=lambda d: d.index)
                )
        except openai.APIStatusError as exc:
            # The status only: an error body may echo the request, Authorization header included.
            raise BackendUnavailable(
                f"the embedding server answered HTTP {exc.status_code}"
            ) from None
        except openai.APIError as exc:
            raise BackendUnavailable(f"embedding server error: {exc}") from None
        if vectors:
            self.dim = len(vectors[0])
        return vectors
