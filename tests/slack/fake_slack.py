"""A loopback stand-in for the Slack Web API that records every call.

Implements what the bot uses: auth.test, chat.postMessage, chat.update, conversations.replies.
Messages live in memory, so conversations.replies returns what the bot posted plus the user
messages a test adds with `add_user_message`. It can answer HTTP 429 with a Retry-After, as
Slack does when an app posts too fast, and play a dead worker's network (`cut_off`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.servers import LoopbackServer, read_body, send_json

BOT_TOKEN = "xoxb-test-token"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0TEST"


@dataclass(frozen=True)
class ApiCall:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeSlack(LoopbackServer):
    """The Slack Web API on loopback, answering from memory and recording every call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[ApiCall] = []
        self.errors: dict[str, str] = {}  # method -> the error code it answers with
        self.reject_blocks = False  # answer chat.update with blocks by invalid_blocks
        # (method, args) -> Retry-After seconds to answer 429 with, or None to serve the call.
        self.throttle: Callable[[str, dict[str, Any]], int | None] | None = None
        self.throttled: list[ApiCall] = []  # the calls answered 429; not in `calls`
        self._cut_off: set[str] = set()  # URL path prefixes whose callers get no answer
        self._limits: dict[str, list[int]] = {}  # method -> [429s left, Retry-After]
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._epoch = int(time.time())

    @property
    def url(self) -> str:
        """The Web API's base URL, as WebClient's `base_url` takes it."""
        return f"{self.origin}/api/"

    # --- what tests use ---------------------------------------------------------------------

    def next_ts(self) -> str:
        """Increasing message timestamps shared by users' and the bot's messages."""
        return f"{self._epoch}.{next(self._ts):06d}"

    def add_user_message(
        self, channel: str, text: str, user: str = "U1", thread_ts: str | None = None
    ) -> str:
        ts = self.next_ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self._messages[(channel, ts)] = message
        return ts

    def of(self, method: str, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                c.args
                for c in self.calls
                if c.method == method and (channel is None or c.args.get("channel") == channel)
            ]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return self.of("chat.postMessage", channel)

    def updates(self, channel: str | None = None) -> list[dict[str, Any]]:
        return self.of("chat.update", channel)

    def bot_messages(self, channel: str) -> list[dict[str, Any]]:
        """The bot's messages in `channel` as they stand now (placeholders edited in place)."""
        with self._lock:
            found = [
                dict(m)
                for (c, _), m in self._messages.items()
                if c == channel and m.get("user") == BOT_USER_ID
            ]
        return sorted(found, key=lambda m: Decimal(m["ts"]))

    def rate_limit(self, method: str, times: int, retry_after: int = 0) -> None:
        """Answer the next `times` calls of `method` with 429 and `Retry-After: retry_after`."""
        self._limits[method] = [times, retry_after]
        self.throttle = self._limited

    def _limited(self, method: str, args: dict[str, Any]) -> int | None:
        limit = self._limits.get(method)
        if limit is None or limit[0] <= 0:
            return None
        limit[0] -= 1
        return limit[1]

    def url_for(self, prefix: str) -> str:
        """A base URL for one client (one worker), so `cut_off(prefix)` can silence it alone."""
        return f"{self.origin}/{prefix}/api/"

    def cut_off(self, prefix: str) -> None:
        """Calls through `url_for(prefix)` get their connection closed, unanswered, unrecorded:
        what a worker that died mid-answer would manage to post from now on."""
        with self._lock:
            self._cut_off.add(f"/{prefix}/")

    def wait_for(self, condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s} s; Slack calls: {self.calls}")
            time.sleep(0.01)

    # --- the API ----------------------------------------------------------------------------

    def on_get(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer a Web API call, its arguments in the query string, form or JSON body."""
        url = urlsplit(handler.path)
        args: dict[str, Any] = dict(parse_qsl(url.query))
        raw = read_body(handler).decode()
        if raw and handler.headers.get("Content-Type", "").startswith("application/json"):
            args.update(json.loads(raw))
        elif raw:
            args.update(parse_qsl(raw))
        auth = handler.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.pop("token", None)
        # WebClient sends the workspace id along for org-wide apps; not part of the message.
        args.pop("team_id", None)
        method = url.path.rsplit("/", 1)[-1]
        with self._lock:
            if any(url.path.startswith(prefix) for prefix in self._cut_off):
                handler.close_connection = True
                return
            retry_after = self.throttle(method, args) if self.throttle else None
            if retry_after is not None:
                self.throttled.append(ApiCall(method, args))
        if retry_after is not None:
            send_json(
                handler,
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
            return
        send_json(
            handler,
            self.call(method, args, token),
            headers={"content-type": "application/json; charset=utf-8"},
        )

    on_post = on_get

    def call(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        with self._lock:
            self.calls.append(ApiCall(method, args))
            if token != BOT_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            if method in self.errors:
                return {"ok": False, "error": self.errors[method]}
            api = getattr(self, "_" + method.replace(".", "_"), None)
            if api is None:
                return {"ok": False, "error": "unknown_method"}
            result: dict[str, Any] = api(args)
            return result

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "newsrag",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self.next_ts()
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}
        message.update({k: args[k] for k in ("text", "blocks", "thread_ts") if k in args})
        self._messages[(args["channel"], ts)] = message
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.reject_blocks and "blocks" in args:
            return {"ok": False, "error": "invalid_blocks"}
        message = self._messages.get((args["channel"], args["ts"]))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.update({k: args[k] for k in ("text", "blocks") if k in args})
        return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        thread = args["ts"]
        in_thread = [
            dict(m)
            for (channel, ts), m in self._messages.items()
            if channel == args["channel"] and (ts == thread or m.get("thread_ts") == thread)
        ]
        in_thread.sort(key=lambda m: Decimal(m["ts"]))
        return {"ok": True, "messages": in_thread, "has_more": False}
