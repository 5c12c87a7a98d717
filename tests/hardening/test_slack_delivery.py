"""Every Slack question gets exactly one answer: 200 deliveries, retries, 429s and a restart.

The real app (`create_app`) under uvicorn on loopback, signed Events API requests, the real
SQLite event ledger on the data dir, and a fake Slack Web API that answers some calls with
HTTP 429. Slack's part is played by the test: it redelivers some events at once (while the
first delivery is being answered), some after their answer is in, and the ones a dead worker
held once their lease has lapsed, as Slack's retries would. Deterministic: one seeded random.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from api.slack import SLACK_DOWN_TEXT, THINKING_TEXT
from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.settings import ApiSettings, Settings, SlackSettings
from rag.state.event_ledger.sqlite import SqliteEventLedger
from rag.types import Message
from tests.conftest import BRI, CORPUS
from tests.servers import serve_app
from tests.slack.conftest import (
    LENDING_ANSWER,
    LENDING_QUESTION,
    SIGNING_SECRET,
    event_callback,
    sign,
)
from tests.slack.fake_slack import BOT_TOKEN, BOT_USER_ID, FakeSlack

DELIVERIES = 200
LEASE_S = 4.0  # short, so the dead worker's events come free within the test
IN_FLIGHT_AT_RESTART = 6  # events the first worker holds, mid-answer, when it dies
PHASE_EVENTS = 50  # new events each worker gets before the late retries


class Throttle:
    """429 for some chat.postMessage/chat.update calls, Retry-After 0 or 1; never more than
    two in a row for one message, so the app's three retries always get through."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._in_a_row: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def __call__(self, method: str, args: dict[str, Any]) -> int | None:
        if method not in ("chat.postMessage", "chat.update"):
            return None
        key = (method, str(args.get("channel")))
        with self._lock:
            row = self._in_a_row.get(key, 0)
            if row >= 2 or self._rng.random() >= 0.2:
                self._in_a_row[key] = 0
                return None
            self._in_a_row[key] = row + 1
            return 1 if self._rng.random() < 0.25 else 0


@dataclass
class Slack:
    """Slack's side: sends signed deliveries and remembers what it sent."""

    http: httpx.Client
    fake: FakeSlack
    ledger: SqliteEventLedger
    url: str = ""
    sent: int = 0
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id -> payload
    retries: dict[str, int] = field(default_factory=dict)
    retried_while_answering: int = 0
    retried_after_answer: int = 0

    def new_event(self, i: int) -> dict[str, Any]:
        channel = f"C{i:03d}"  # one channel per event: its answers are easy to count
        text = f"<@{BOT_USER_ID}> {LENDING_QUESTION}"
        ts = self.fake.add_user_message(channel, text)
        event = {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": channel}
        payload = event_callback(event)
        self.events[payload["event_id"]] = payload
        self.deliver(payload)
        return payload

    def deliver(self, payload: dict[str, Any], retry: bool = False) -> None:
        headers = {"Content-Type": "application/json"}
        event_id = payload["event_id"]
        if retry:
            self.retries[event_id] = self.retries.get(event_id, 0) + 1
            headers["X-Slack-Retry-Num"] = str(self.retries[event_id])
            headers["X-Slack-Retry-Reason"] = "http_timeout"
            if self.ledger.state(event_id) == "finished":
                self.retried_after_answer += 1
            else:
                self.retried_while_answering += 1
        body = json.dumps(payload).encode()
        headers.update(sign(body, int(time.time()), SIGNING_SECRET))
        assert self.sent < DELIVERIES, "the plan sends more deliveries than it should"
        response = self.http.post(self.url, content=body, headers=headers)
        self.sent += 1
        assert response.status_code == 200, response.text

    def answers(self, payload: dict[str, Any]) -> list[str]:
        channel = payload["event"]["channel"]
        return [m["text"] for m in self.fake.bot_messages(channel) if m["text"] != THINKING_TEXT]

    def answered(self, payloads: Sequence[dict[str, Any]]) -> bool:
        return all(self.answers(p) for p in payloads)

    def settled(self, payloads: Sequence[dict[str, Any]]) -> bool:
        return all(self.ledger.state(p["event_id"]) == "finished" for p in payloads)


class WorkerKilled(BaseException):
    """Unwinds a dead worker's thread without any `except Exception` running: a killed
    process posts no error reply and releases no claim either."""


class DyingModel:
    """The first worker's model: answers until `die()`, then hangs like a killed process."""

    def __init__(self) -> None:
        self.dying = False
        self.gone = threading.Event()
        self.buried = 0  # calls that hung and were unwound
        self._lock = threading.Lock()

    def __call__(self, messages: Sequence[Message]) -> str:
        if not self.dying:
            return LENDING_ANSWER
        try:
            self.gone.wait(timeout=120)
            raise WorkerKilled
        finally:
            with self._lock:
                self.buried += 1

    def die(self) -> None:
        self.dying = True


def settings_for(data_dir: Path, fake: FakeSlack, worker: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        slack=SlackSettings(
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            api_url=fake.url_for(worker),  # so the dead worker alone can be cut off
            event_lease_s=LEASE_S,
        ),
        # Delivery is under test here, not admission: every flooded event must get its answer
        # rather than the busy reply a real flood beyond the bound gets (tests/slack).
        api=ApiSettings(max_pending_questions=DELIVERIES),
    )


@contextmanager
def worker(
    data_dir: Path, fake: FakeSlack, name: str, model: Any, embedder: Embedder
) -> Iterator[str]:
    """The real app over `data_dir` under uvicorn; yields its Slack endpoint."""
    settings = settings_for(data_dir, fake, name)
    service = build_service(settings, llm=FakeChatModel(model), embedder=embedder)
    with serve_app(create_app(settings, service), timeout_s=30) as url:
        yield url + "/slack/events"


def test_every_question_is_answered_exactly_once_through_retries_429s_and_a_restart(
    tmp_path: Path, embedder: Embedder
) -> None:
    rng = random.Random(13)
    data_dir = tmp_path / "rag"
    article = (CORPUS / BRI).read_bytes()
    build_service(Settings(data_dir=data_dir), llm=FakeChatModel(), embedder=embedder).add_document(
        article, BRI
    )
    first_model = DyingModel()

    with FakeSlack() as fake, httpx.Client(timeout=30) as http, ExitStack() as stack:
        stack.callback(bury, first_model, fake)
        fake.throttle = Throttle(rng)
        slack = Slack(http, fake, SqliteEventLedger(data_dir / "events.sqlite3"))
        late: list[dict[str, Any]] = []

        def phase(start: int) -> list[dict[str, Any]]:
            payloads = []
            for i in range(start, start + PHASE_EVENTS):
                payload = slack.new_event(i)
                payloads.append(payload)
                if rng.random() < 0.3:  # Slack thought the ack was late: at once
                    slack.deliver(payload, retry=True)
                if rng.random() < 0.25:
                    late.append(payload)
            return payloads

        # --- the first worker answers, then dies with events in flight ----------------------
        with worker(data_dir, fake, "w1", first_model, embedder) as slack.url:
            first = phase(0)
            fake.wait_for(lambda: slack.settled(first) and slack.answered(first), 60)
            for payload in late:  # after their answers are in
                slack.deliver(payload, retry=True)
            late.clear()
            first_model.die()
            doomed = [slack.new_event(100 + i) for i in range(IN_FLIGHT_AT_RESTART)]
            # Mid-answer: Bolt's five listener threads have each posted a placeholder.
            fake.wait_for(lambda: len([p for p in doomed if fake.bot_messages(ch(p))]) >= 5)
            fake.cut_off("w1")  # from here on, nothing the first worker sends arrives
        # --- a new worker on the same data dir --------------------------------------------
        with worker(data_dir, fake, "w2", lambda m: LENDING_ANSWER, embedder) as slack.url:
            for payload in doomed:  # Slack's first retry, most likely inside the lease: dropped
                slack.deliver(payload, retry=True)
            second = phase(200)
            fake.wait_for(lambda: slack.settled(second) and slack.answered(second), 60)
            for payload in late:
                slack.deliver(payload, retry=True)
            # Slack's next retry of what the dead worker held, once the ledger lets it go.
            fake.wait_for(lambda: all(state(slack, p) in ("lapsed", "finished") for p in doomed))
            for payload in doomed:
                if state(slack, payload) == "lapsed":
                    slack.deliver(payload, retry=True)
            everything = list(slack.events.values())
            fake.wait_for(lambda: slack.settled(everything) and slack.answered(everything), 60)
            # Top up to exactly DELIVERIES with more late retries, all of them to be dropped.
            while slack.sent < DELIVERIES:
                slack.deliver(rng.choice(everything), retry=True)
            fake.wait_for(lambda: slack.settled(everything), 60)

        answers = {p["event_id"]: slack.answers(p) for p in everything}
        lost = [e for e, a in answers.items() if not a]
        duplicated = {e: a for e, a in answers.items() if len(a) > 1}
        wrong = {e: a for e, a in answers.items() if a and a != [LENDING_ANSWER]}
        assert slack.sent == DELIVERIES
        assert lost == [], f"{len(lost)} questions lost"
        assert duplicated == {}, f"{len(duplicated)} questions answered more than once"
        assert wrong == {}, "answers that are not the answer (SLACK_DOWN_TEXT?)"
        assert SLACK_DOWN_TEXT not in {t for a in answers.values() for t in a}
        # The test did what it says: both kinds of retries, real 429s, a worker that died.
        assert slack.retried_while_answering > 0 and slack.retried_after_answer > 0
        assert len(fake.throttled) > 10
        assert len(everything) == 2 * PHASE_EVENTS + IN_FLIGHT_AT_RESTART


def bury(model: DyingModel, fake: FakeSlack) -> None:
    """Unwind the dead worker's hung threads, so none outlives the test."""
    model.gone.set()
    fake.wait_for(lambda: model.buried == IN_FLIGHT_AT_RESTART)


def state(slack: Slack, payload: dict[str, Any]) -> str | None:
    return slack.ledger.state(payload["event_id"])


def ch(payload: dict[str, Any]) -> str:
    return str(payload["event"]["channel"])
