"""The Slack bot: answers mentions and direct messages in a thread, citing the articles.

This layer only translates: Slack events become `RagService.ask` calls, answers become Slack
messages. A time scope rides in the message itself and is parsed by the service like any
question's: "as of 2017-03-05, how many seats …", "… in March 2017", "latest …" (README, Time
scope). It serves the Events API over HTTP (`slack_router`) and Socket Mode
(`api.slack_socket`) with the same Bolt app.

    app = FastAPI()
    app.include_router(slack_router(service, settings))  # POST /slack/events
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryHandler,
)
from starlette.concurrency import run_in_threadpool

from api.admission import Admission, Slot
from api.slack_text import escape, inert, inert_code, unescape
from rag.errors import BackendUnavailable, EmptyCorpus, InvalidInput, RagError
from rag.factory import build_event_ledger
from rag.service import RagService
from rag.settings import Settings
from rag.state.event_ledger.base import EventLedger
from rag.types import Answer, Citation, Turn

logger = logging.getLogger(__name__)

THINKING_TEXT = ":hourglass_flowing_sand: Looking through the articles…"
EMPTY_QUESTION_TEXT = (
    "Ask me a question about the articles, e.g. "
    "_On what date did Xi and Putin meet at the SCO summit in Astana?_"
)
BACKEND_DOWN_TEXT = (
    ":warning: The language model is unavailable right now, please try again in a minute."
)
EMPTY_CORPUS_TEXT = (
    ":open_file_folder: No articles have been ingested yet, so there is nothing to answer from. "
    "An admin can add them with `rag ingest data/articles`."
)
FAILED_TEXT = ":warning: Sorry, something went wrong while answering. Please try again."
BUSY_TEXT = (
    ":hourglass: I'm already answering {limit} questions, as many as I take at once. "
    "Please ask again in a minute."
)
SLACK_DOWN_TEXT = (
    ":warning: Slack would not take my answer just now (rate limited). "
    "Please ask again in a minute."
)

# Marks a bot message as an answer, so thread history skips placeholders and error replies.
ANSWER_BLOCK_ID = "newsrag-answer"
MAX_HISTORY_TURNS = 6
MAX_QUOTE_CHARS = 300
MAX_TITLE_CHARS = 150
MAX_SOURCES = 20  # a message holds at most 50 blocks
MAX_ANSWER_CHARS = 2500  # Slack allows 3000 in a section, escaped; answers are far shorter

_LINK = re.compile(r"<([^@#!|>][^|>]*)(?:\|([^>]*))?>")
# What a Web API call raises once the SDK's retries are spent: Slack's refusal (a 429 among
# them), or no connection at all (URLError and the connection errors are OSErrors).
_SLACK_FAILURES = (SlackApiError, OSError)
_CLAIM = "newsrag_event_claim"  # BoltContext key of the event's `EventClaim`
_SLOT = "newsrag_admission_slot"  # BoltContext key: the question's `Slot`, None when full


# --- the Bolt app and its HTTP endpoint -----------------------------------------------------


def build_slack_app(
    service: RagService,
    settings: Settings,
    client: WebClient | None = None,
    ledger: EventLedger | None = None,
    admission: Admission | None = None,
) -> App:
    """A Bolt app answering `app_mention` events and direct messages through `service`.

    `ledger` (by default the one `build_event_ledger` makes) decides which process answers an
    event, so a redelivery is answered exactly when no one else is answering it. `admission`
    bounds the questions waiting for the model; the HTTP app passes its own, so chat and
    Slack share one line (by default a bound of `RAG_API__MAX_PENDING_QUESTIONS` of its own).
    """
    if client is None:
        client = WebClient(
            token=_bot_token(settings),
            base_url=settings.slack.api_url,
            retry_handlers=retry_handlers(settings),
        )
    secret = settings.slack.signing_secret
    app = App(
        name="newsrag",
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        # Ack at once and answer on Bolt's worker threads: Slack wants a reply within 3 s and
        # the model takes 10-20 s.
        process_before_response=False,
        # auth.test runs on the first event instead, so the API starts while Slack is down.
        token_verification_enabled=False,
    )
    ledger = ledger if ledger is not None else build_event_ledger(settings)
    if admission is None:
        admission = Admission(settings.api.max_pending_questions)
    app.use(_claim_events(ledger, settings.slack.event_lease_s))
    app.event("app_mention", middleware=[_admit(admission, _is_mention_question)])(
        _mention_listener(service, admission)
    )
    app.event("message", middleware=[_admit(admission, _is_direct_question)])(
        _direct_message_listener(service, admission)
    )
    return app


def retry_handlers(settings: Settings) -> list[RetryHandler]:
    """Retry a dropped connection, and a 429 after the Retry-After that Slack asks for."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=settings.slack.rate_limit_retries),
    ]


def slack_router(
    service: RagService, settings: Settings, admission: Admission | None = None
) -> APIRouter:
    """`POST /slack/events` for the Events API; requests must carry Slack's signature."""
    if settings.slack.signing_secret is None:
        raise RagError("the Slack endpoint needs SLACK_SIGNING_SECRET (Basic Information page)")
    bolt_app = build_slack_app(service, settings, admission=admission)
    router = APIRouter()

    # Hidden from the OpenAPI schema: only Slack can call it, and only with a valid signature.
    @router.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        # Bolt's dispatch is synchronous (and calls auth.test on the first event), so it runs
        # on a worker thread rather than stalling every other request on the event loop.
        bolt_response = await run_in_threadpool(bolt_app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return router


def _bot_token(settings: Settings) -> str:
    if settings.slack.bot_token is None:
        raise RagError("the Slack bot needs SLACK_BOT_TOKEN (xoxb-…, OAuth & Permissions page)")
    return settings.slack.bot_token.get_secret_value()


# --- retries and duplicates ---------------------------------------------------------------


@dataclass(frozen=True)
class EventClaim:
    """This process answers `event_id`; settle it with `finish` or `release`."""

    ledger: EventLedger
    event_id: str

    def finish(self) -> None:
        self.ledger.finish(self.event_id)

    def release(self) -> None:
        self.ledger.release(self.event_id)


def _claim_events(ledger: EventLedger, lease_s: float) -> Callable[..., BoltResponse | None]:
    def claim_event(
        body: dict[str, Any], context: BoltContext, next_: Callable[[], None]
    ) -> BoltResponse | None:
        # Slack redelivers (with X-Slack-Retry-Num) when our ack was late or lost, or the
        # process died: answer it unless someone is answering it or has answered it. The
        # claim is taken here, before the ack, so a duplicate is dropped synchronously.
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and isinstance(event_id, str):
            if not ledger.claim(event_id, lease_s):
                return BoltResponse(status=200, body="")
            context[_CLAIM] = EventClaim(ledger, event_id)
        next_()
        return None

    return claim_event


@contextmanager
def _settling(context: BoltContext) -> Iterator[None]:
    """Finish the event's claim when the listener is done, release it when it failed."""
    claim: EventClaim | None = context.get(_CLAIM)
    try:
        yield
    except BaseException:
        # No final reply reached Slack: a redelivery may answer it.
        if claim is not None:
            claim.release()
        raise
    if claim is not None:
        claim.finish()


# --- listeners ------------------------------------------------------------------------------


def _is_mention_question(event: Mapping[str, Any]) -> bool:
    # Another bot mentioning us could start a loop of bots answering each other.
    return not (event.get("bot_id") or event.get("subtype"))


def _is_direct_question(event: Mapping[str, Any]) -> bool:
    # Channel messages arrive as app_mention; subtypes are edits, joins and bot posts.
    return (
        event.get("channel_type") == "im" and not event.get("subtype") and not event.get("bot_id")
    )


def _admit(
    admission: Admission, is_question: Callable[[Mapping[str, Any]], bool]
) -> Callable[..., None]:
    """Listener middleware: a place in line for the model, taken as the event arrives.

    Bolt queues listeners on a few worker threads without bound, so the decision is made here,
    in `dispatch`, before the event is queued: beyond the bound the listener only posts a short
    "busy" reply instead of waiting minutes behind the others (the user is told, the question
    is not silently lost, and Slack is acked either way).
    """

    def admit(event: dict[str, Any], context: BoltContext, next_: Callable[[], None]) -> None:
        if is_question(event):
            context[_SLOT] = admission.try_enter()
        next_()

    return admit


@contextmanager
def _holding_place(context: BoltContext) -> Iterator[Slot | None]:
    """The event's admission slot, released when the listener ends (however it ends)."""
    slot: Slot | None = context.get(_SLOT)
    try:
        yield slot
    finally:
        if slot is not None:
            slot.release()


def _mention_listener(service: RagService, admission: Admission) -> Callable[..., None]:
    def answer_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        with _settling(context), _holding_place(context) as slot:
            if not _is_mention_question(event):
                return
            if slot is None:
                _reply_busy(client, event, admission)
                return
            answer_in_thread(service, client, event, context.bot_user_id, in_dm=False)

    return answer_mention


def _direct_message_listener(service: RagService, admission: Admission) -> Callable[..., None]:
    def answer_direct_message(
        event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        with _settling(context), _holding_place(context) as slot:
            if not _is_direct_question(event):
                return
            if slot is None:
                _reply_busy(client, event, admission)
                return
            answer_in_thread(service, client, event, context.bot_user_id, in_dm=True)

    return answer_direct_message


def _reply_busy(client: WebClient, event: Mapping[str, Any], admission: Admission) -> None:
    logger.info("over the bound of %d questions; told the asker to try again", admission.limit)
    client.chat_postMessage(
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        text=BUSY_TEXT.format(limit=admission.limit),
    )


def answer_in_thread(
    service: RagService,
    client: WebClient,
    event: Mapping[str, Any],
    bot_user_id: str | None,
    *,
    in_dm: bool,
) -> None:
    """Post a placeholder in the event's thread, then replace it with the answer.

    Returns once a final reply (the answer, or a short error) is in the thread; raises when
    Slack took none, so the caller can let a redelivery try again.
    """
    channel = event["channel"]
    thread_ts = event.get("thread_ts") or event["ts"]
    question = question_text(event.get("text") or "", bot_user_id)
    if not question:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=EMPTY_QUESTION_TEXT)
        return
    placeholder = _post_placeholder(client, channel, thread_ts)
    reply = _reply(service, client, event, question, bot_user_id, in_dm)
    try:
        _deliver(client, channel, thread_ts, placeholder, reply)
    except _SLACK_FAILURES:
        # The SDK has already waited out Retry-After and retried: Slack stays down or keeps
        # refusing. A short error beats "Looking through the articles…" left up for good.
        logger.warning("Slack did not take the answer in %s; replying with an error", channel)
        _deliver_error(client, channel, thread_ts, placeholder)


def _deliver_error(
    client: WebClient, channel: str, thread_ts: str, placeholder: str | None
) -> None:
    """Edit the placeholder into SLACK_DOWN_TEXT, else post it; raises when neither worked."""
    if placeholder is not None:
        try:
            client.chat_update(channel=channel, ts=placeholder, text=SLACK_DOWN_TEXT)
            return
        except _SLACK_FAILURES:
            # chat.update has its own rate limit; a new message may still get through.
            logger.warning("could not edit the placeholder in %s", channel, exc_info=True)
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=SLACK_DOWN_TEXT)


def _post_placeholder(client: WebClient, channel: str, thread_ts: str) -> str | None:
    try:
        return str(
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=THINKING_TEXT)["ts"]
        )
    except _SLACK_FAILURES:
        # The placeholder is a courtesy: answer anyway, posting the answer as a new message.
        logger.warning("could not post the placeholder in %s", channel, exc_info=True)
        return None


def _deliver(
    client: WebClient, channel: str, thread_ts: str, placeholder: str | None, reply: SlackReply
) -> None:
    if placeholder is not None:
        _replace(client, channel, placeholder, reply)
        return
    try:
        client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=reply.text, blocks=reply.blocks
        )
    except SlackApiError as exc:
        if reply.blocks is None or not _refused_blocks(exc):
            raise
        logger.exception("chat.postMessage rejected the answer blocks; sending text only")
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=reply.text)


@dataclass(frozen=True)
class SlackReply:
    text: str  # mrkdwn; also the notification text, and what thread history reads back
    blocks: list[dict[str, Any]] | None = None

    @classmethod
    def from_answer(cls, answer: Answer) -> SlackReply:
        """The answer with its `[n]` markers, then one compact line per cited article."""
        # The model quotes the articles, so its text is as untrusted as theirs.
        text = inert(_truncate(answer.text, MAX_ANSWER_CHARS))
        answer_block = {
            "type": "section",
            "block_id": ANSWER_BLOCK_ID,
            "text": _mrkdwn(text),
        }
        return cls(text, [answer_block, *sources_blocks(answer.citations)])


def _reply(
    service: RagService,
    client: WebClient,
    event: Mapping[str, Any],
    question: str,
    bot_user_id: str | None,
    in_dm: bool,
) -> SlackReply:
    try:
        history = _thread_history(client, event, bot_user_id, in_dm)
        return SlackReply.from_answer(service.ask(question, history=history))
    except RagError as exc:
        # Where, not what: questions are users' words and stay out of the logs.
        logger.warning("could not answer message %s in %s: %s", event["ts"], event["channel"], exc)
        return SlackReply(error_text(exc))
    except Exception:
        logger.exception("failed to answer message %s in %s", event["ts"], event["channel"])
        return SlackReply(FAILED_TEXT)


def error_text(exc: RagError) -> str:
    """What the user is told when `service.ask` raises."""
    if isinstance(exc, BackendUnavailable):
        return BACKEND_DOWN_TEXT
    if isinstance(exc, EmptyCorpus):
        return EMPTY_CORPUS_TEXT
    if isinstance(exc, InvalidInput):
        return f":warning: I can't use that question: {escape(str(exc))}."
    return FAILED_TEXT


def _replace(client: WebClient, channel: str, ts: str, reply: SlackReply) -> None:
    try:
        client.chat_update(channel=channel, ts=ts, text=reply.text, blocks=reply.blocks)
    except SlackApiError as exc:
        if reply.blocks is None or not _refused_blocks(exc):
            raise
        # Slack refuses blocks it finds invalid; the bare answer beats a placeholder forever.
        logger.exception("chat.update rejected the answer blocks; sending text only")
        client.chat_update(channel=channel, ts=ts, text=reply.text)


def _refused_blocks(exc: SlackApiError) -> bool:
    """Whether Slack refused the message itself, not the rate (429) or the connection."""
    response = exc.response
    return response.status_code != 429 and response.get("error") != "ratelimited"


# --- thread history -------------------------------------------------------------------------


def _thread_history(
    client: WebClient, event: Mapping[str, Any], bot_user_id: str | None, in_dm: bool
) -> list[Turn]:
    if not event.get("thread_ts") or not bot_user_id:
        return []
    try:
        pages = client.conversations_replies(channel=event["channel"], ts=event["thread_ts"])
        messages = [m for page in pages for m in page.get("messages", [])]
    except _SLACK_FAILURES:
        # A missing history scope or rate limit should cost the follow-up context, not the answer.
        logger.warning("could not read thread %s for history", event["thread_ts"], exc_info=True)
        return []
    return thread_history(messages, bot_user_id, before_ts=event["ts"], in_dm=in_dm)


def thread_history(
    messages: Sequence[Mapping[str, Any]], bot_user_id: str, *, before_ts: str, in_dm: bool
) -> list[Turn]:
    """Pair the questions put to the bot with its answers, oldest first, up to `before_ts`.

    In a channel only messages mentioning the bot are questions; others are people talking.
    A question the bot did not answer (an error, or still thinking) is dropped.
    """
    turns: list[Turn] = []
    pending: str | None = None
    for message in messages:
        if Decimal(message["ts"]) >= Decimal(before_ts):
            break
        text = message.get("text") or ""
        if message.get("user") == bot_user_id:
            if pending and _is_answer(message):
                turns.append(Turn(pending, unescape(text)))
            pending = None
        elif _is_question(message, bot_user_id, in_dm):
            pending = question_text(text, bot_user_id) or pending
    return turns[-MAX_HISTORY_TURNS:]


def _is_question(message: Mapping[str, Any], bot_user_id: str, in_dm: bool) -> bool:
    if message.get("bot_id") or message.get("subtype"):
        return False
    return in_dm or f"<@{bot_user_id}" in (message.get("text") or "")


def _is_answer(message: Mapping[str, Any]) -> bool:
    return any(b.get("block_id") == ANSWER_BLOCK_ID for b in message.get("blocks") or [])


# --- Slack text in and out ------------------------------------------------------------------


def question_text(text: str, bot_user_id: str | None) -> str:
    """The question as plain text: without the bot's mention, links unwrapped, unescaped."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return unescape(" ".join(text.split()))


def sources_blocks(sources: Sequence[Citation]) -> list[dict[str, Any]]:
    if not sources:
        return []
    lines = [_source_line(s) for s in sources[:MAX_SOURCES]]
    if len(sources) > MAX_SOURCES:
        lines.append(f"…and {len(sources) - MAX_SOURCES} more")
    return [
        {"type": "divider"},
        _context("*Sources*"),
        *(_context(line) for line in lines),
    ]


def _source_line(s: Citation) -> str:
    """`[n] outlet · date · title` (the file's name where there is no outlet), then the
    quote. Articles, their titles, outlets and file names are untrusted: no link, mention or
    markup may come of them."""
    who = inert(s.outlet) if s.outlet else f"`{inert_code(s.source)}`"
    when = f" · {s.date.isoformat()}" if s.date else ""
    title = " ".join(s.title.split())
    headline = f" · {inert(_truncate(title, MAX_TITLE_CHARS))}" if title else ""
    quote = inert(_truncate(" ".join(s.quote.split()), MAX_QUOTE_CHARS))
    return f"*[{s.n}]* {who}{when}{headline}\n“{quote}”"


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack neither turns URLs into links nor parses names and mentions in it.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
