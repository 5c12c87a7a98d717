"""Socket Mode: the same Bolt app fed envelopes instead of signed HTTP requests."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import SecretStr
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk import WebClient
from slack_sdk.socket_mode.request import SocketModeRequest

import api.slack_socket
from api.slack import THINKING_TEXT, build_slack_app
from api.slack_socket import run_socket_mode
from rag.errors import RagError
from rag.service import RagService
from rag.settings import Settings
from rag.state.event_ledger.sqlite import SqliteEventLedger
from tests.slack.conftest import LENDING_ANSWER, LENDING_QUESTION, event_callback
from tests.slack.fake_slack import BOT_TOKEN, BOT_USER_ID, FakeSlack


def envelope(payload: dict[str, Any], retry_attempt: int | None = None) -> SocketModeRequest:
    return SocketModeRequest("events_api", "envelope-1", payload, retry_attempt=retry_attempt)


@pytest.fixture
def bolt_app(service: RagService, settings: Settings, fake_slack: FakeSlack) -> App:
    settings.slack.signing_secret = None  # Socket Mode needs none
    return build_slack_app(service, settings, WebClient(token=BOT_TOKEN, base_url=fake_slack.url))


def mention(fake: FakeSlack, text: str) -> tuple[str, dict[str, Any]]:
    ts = fake.add_user_message("C9", text)
    event = {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": "C9"}
    return ts, event_callback(event)


def test_mention_over_socket_mode_is_answered_in_its_thread(
    bolt_app: App, fake_slack: FakeSlack
) -> None:
    ts, payload = mention(fake_slack, f"<@{BOT_USER_ID}> {LENDING_QUESTION}")

    assert run_bolt_app(bolt_app, envelope(payload)).status == 200

    fake_slack.wait_for(lambda: len(fake_slack.updates("C9")) == 1)
    assert fake_slack.posts() == [{"channel": "C9", "thread_ts": ts, "text": THINKING_TEXT}]
    assert fake_slack.updates()[0]["text"] == LENDING_ANSWER


def test_socket_mode_redelivery_is_not_answered_twice(
    bolt_app: App, fake_slack: FakeSlack, settings: Settings
) -> None:
    ledger = SqliteEventLedger(settings.events_path)
    _, payload = mention(fake_slack, f"<@{BOT_USER_ID}> {LENDING_QUESTION}")

    run_bolt_app(bolt_app, envelope(payload))
    fake_slack.wait_for(lambda: len(fake_slack.updates()) == 1)
    assert run_bolt_app(bolt_app, envelope(payload)).status == 200
    assert run_bolt_app(bolt_app, envelope(payload, retry_attempt=1)).status == 200
    fake_slack.wait_for(lambda: ledger.state(payload["event_id"]) == "finished")

    assert len(fake_slack.posts()) == 1
    assert len(fake_slack.updates()) == 1


def test_socket_mode_retry_of_a_lost_delivery_is_answered(
    bolt_app: App, fake_slack: FakeSlack
) -> None:
    _, retried = mention(fake_slack, f"<@{BOT_USER_ID}> {LENDING_QUESTION}")

    assert run_bolt_app(bolt_app, envelope(retried, retry_attempt=1)).status == 200

    fake_slack.wait_for(lambda: len(fake_slack.updates("C9")) == 1)
    assert fake_slack.updates()[0]["text"] == LENDING_ANSWER


class RecordingHandler:
    instances: ClassVar[list[RecordingHandler]] = []

    def __init__(self, app: App, app_token: str) -> None:
        self.app, self.app_token, self.started = app, app_token, False
        RecordingHandler.instances.append(self)

    def start(self) -> None:
        self.started = True


def test_run_socket_mode_checks_the_bot_token_then_connects_with_the_app_token(
    settings: Settings,
    service: RagService,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.slack.app_token = SecretStr("xapp-1-test")
    monkeypatch.setattr(api.slack_socket, "build_service", lambda s: service)
    monkeypatch.setattr(api.slack_socket, "SocketModeHandler", RecordingHandler)
    RecordingHandler.instances.clear()

    run_socket_mode(settings)

    [handler] = RecordingHandler.instances
    assert handler.started
    assert handler.app_token == "xapp-1-test"
    assert handler.app.client.base_url == fake_slack.url
    assert [c.method for c in fake_slack.calls] == ["auth.test"]


def test_run_socket_mode_refuses_a_bad_bot_token(
    settings: Settings, service: RagService, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.slack.app_token = SecretStr("xapp-1-test")
    settings.slack.bot_token = SecretStr("xoxb-revoked")
    monkeypatch.setattr(api.slack_socket, "build_service", lambda s: service)
    monkeypatch.setattr(api.slack_socket, "SocketModeHandler", RecordingHandler)

    with pytest.raises(RagError, match="invalid_auth"):
        run_socket_mode(settings)


def test_run_socket_mode_says_which_tokens_are_missing(settings: Settings) -> None:
    settings.slack.app_token = None

    with pytest.raises(RagError, match="SLACK_APP_TOKEN"):
        run_socket_mode(settings)
