"""The project's settings plus the eval-only judge section (`RAG_JUDGE__MODEL=…`).

A subclass rather than a second settings object, so every key still follows the
`RAG_<SECTION>__<FIELD>` scheme and reads the same `.env`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from rag.settings import Settings


class JudgeSettings(BaseModel):
    # Off unless a model is named. Any OpenAI-compatible server; OPENAI_API_KEY is the fallback key.
    model: str | None = None
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout_s: float = Field(120.0, gt=0)


class EvalSettings(Settings):
    judge: JudgeSettings = JudgeSettings()
