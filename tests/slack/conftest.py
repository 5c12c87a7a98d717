"""Fixtures: the sample corpus ingested once, a fake Slack Web API, and a live uvicorn server."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.slack import slack_router
from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.base import ChatModel
from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import Settings, SlackSettings
from rag.state.event_ledger.sqlite import SqliteEventLedger
from rag.types import Message
from tests.servers import serve_app
from tests.slack.fake_slack import BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"

LENDING_QUESTION = "How much new lending did Xi announce for the Belt and Road?"
LENDING_ANSWER = "Xi also announced an additional $100 billion in loans [1]."
LENDING_SOURCE = "000_f4d4d8ba4c92511d.txt"
FOLLOW_UP = "Which banks will provide it?"
STANDALONE_FOLLOW_UP = (
    "Which banks will provide the additional $100 billion in loans for the Belt and Road?"
)
BANKS_ANSWER = (
    "The China Development Bank and the Export-Import Bank will provide "
    "an additional $100 billion in loans [1]."
)


def news_script(messages: Sequence[Message]) -> str:
    """Plays the model: rewrites the follow-up, answers lending questions, refuses the rest.

    It goes by which question a prompt holds, not by the prompt's wording, which may change.
    """
    prompt = "\n".join(m.content for m in messages)
    if STANDALONE_FOLLOW_UP in prompt:
        return BANKS_ANSWER
    if FOLLOW_UP in prompt:  # the condense step rewrites the follow-up
        return STANDALONE_FOLLOW_UP
    if LENDING_QUESTION in prompt:
        return LENDING_ANSWER
    return "NOT IN ARTICLES"


# --- the service (`embedder` comes from tests/conftest.py) ---------------------------------


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A data dir holding the sample articles, ingested once for the whole session."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("rag"))
    report = build_service(settings, llm=FakeChatModel(), embedder=embedder).ingest(
        [settings.corpus_dir]
    )
    assert report.ok and report.added, report.summary()
    return settings.data_dir


@pytest.fixture
def service_for(corpus_dir: Path, embedder: Embedder) -> Callable[..., RagService]:
    """A service over the ingested corpus (or `data_dir`) answering with `llm`."""

    def make(llm: ChatModel, data_dir: Path = corpus_dir) -> RagService:
        return build_service(Settings(data_dir=data_dir), llm=llm, embedder=embedder)

    return make


@pytest.fixture
def llm() -> FakeChatModel:
    return FakeChatModel(news_script)


@pytest.fixture
def service(service_for: Callable[..., RagService], llm: FakeChatModel) -> RagService:
    return service_for(llm)


# --- Slack ----------------------------------------------------------------------------------


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def settings(corpus_dir: Path, fake_slack: FakeSlack) -> Settings:
    return Settings(
        data_dir=corpus_dir,
        slack=SlackSettings(
            bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.url
        ),
    )


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


_event_ids = itertools.count(1)


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "event": {**event, "event_ts": event["ts"]},
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


@dataclass
class SlackSender:
    """Sends Events API requests to a running app, signed like Slack signs them."""

    url: str
    post_raw: Callable[..., httpx.Response]
    fake: FakeSlack
    ledger: SqliteEventLedger | None = None  # the app's, read to know when it is done

    def post(
        self,
        payload: dict[str, Any],
        *,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        signed = sign(body, int(time.time()) if timestamp is None else timestamp, secret)
        all_headers = {"Content-Type": "application/json", **signed, **(headers or {})}
        return self.post_raw(self.url, content=body, headers=all_headers)

    def mention(
        self, text: str, channel: str = "C1", thread_ts: str | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """A user message mentioning the bot: stored in the fake, then sent as app_mention."""
        ts = self.fake.add_user_message(channel, text, thread_ts=thread_ts)
        event = {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": channel}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return ts, event_callback(event, **kw)

    def dm(self, text: str, channel: str = "D1", **fields: Any) -> tuple[str, dict[str, Any]]:
        ts = self.fake.add_user_message(channel, text)
        event = {
            "type": "message",
            "channel_type": "im",
            "user": "U1",
            "text": text,
            "ts": ts,
            "channel": channel,
            **fields,
        }
        return ts, event_callback(event)

    def settle(self, *payloads: dict[str, Any]) -> None:
        """Wait until the app is done with every event in `payloads`.

        The claim on an event is taken before the ack, so once `post` has returned an event
        is unclaimed (dropped, forged, ignored before the listeners), or claimed until its
        listener finishes or releases it: then all its Slack calls have been made, and the
        absence of a call becomes checkable. No sleeping, no guessing at thread order.
        """
        assert self.ledger is not None, "settle() needs the app's ledger"
        ledger = self.ledger
        ids = [payload["event_id"] for payload in payloads]
        self.fake.wait_for(lambda: all(ledger.state(i) != "answering" for i in ids))


@pytest.fixture
def serve(
    settings: Settings, fake_slack: FakeSlack
) -> Iterator[Callable[[RagService], SlackSender]]:
    """Start a live server whose FastAPI app includes `slack_router(service, settings)`."""
    with httpx.Client(timeout=10) as http, ExitStack() as servers:

        def start(service: RagService) -> SlackSender:
            app = FastAPI()
            app.include_router(slack_router(service, settings))
            # This app has no /healthz: it is ready once uvicorn has started.
            url = servers.enter_context(serve_app(app, timeout_s=10, ready_path=None))
            ledger = SqliteEventLedger(settings.events_path)
            return SlackSender(url + "/slack/events", http.post, fake_slack, ledger)

        yield start


@pytest.fixture
def slack(serve: Callable[[RagService], SlackSender], service: RagService) -> SlackSender:
    return serve(service)
