"""POST /v1/chat: verified answers with citations, multi-turn conversations, SSE streaming."""

from __future__ import annotations

import threading

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from tests.api.conftest import (
    ARTICLES,
    FOLLOW_UP,
    LENDING_QUESTION,
    LENDING_SOURCE,
    REWRITTEN,
    Corpus,
    GatedModel,
    ServiceFactory,
    parse_sse,
    scripted_reply,
)
from tests.servers import serve_app


def article_text(source: str) -> str:
    return (ARTICLES / source).read_text(encoding="utf-8")


# --- one question -------------------------------------------------------------------------


def test_a_false_premise_is_corrected_with_a_real_citation(client: TestClient) -> None:
    # Nobody resigned: the sample articles report Xi meeting Putin in Astana, nothing more.
    question = "Why did Xi resign after meeting Putin in Astana?"
    response = client.post("/v1/chat", json={"question": question})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["answered"], body["corrected"]) == (False, True)
    assert body["answer"].startswith("The articles do not say that Xi resigned after meeting")
    [citation] = body["citations"]
    assert (
        article_text(citation["source"])[citation["start"] : citation["end"]] == (citation["quote"])
    )


def test_answer_carries_verified_citations_that_quote_the_article(client: TestClient) -> None:
    response = client.post("/v1/chat", json={"question": LENDING_QUESTION})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answered"] is True
    assert "$100 billion" in body["answer"] and "[1]" in body["answer"]
    assert len(body["conversation_id"]) >= 16
    [citation] = body["citations"]
    assert citation["n"] == 1
    assert citation["source"] == LENDING_SOURCE
    assert citation["date"] == "2023-10-18"
    # The offsets index the article as stored on disk, so a client can highlight the quote.
    text = article_text(LENDING_SOURCE)
    assert text[citation["start"] : citation["end"]] == citation["quote"]
    assert "$100 billion" in citation["quote"]
    assert body["standalone_question"] == LENDING_QUESTION
    assert any(p["source"] == LENDING_SOURCE for p in body["retrieved"])


def test_unsupported_figure_is_not_cited(service_factory: ServiceFactory) -> None:
    # The fake claims a figure no article states: the verifier, not the model, has the last word.
    service, settings = service_factory(FakeChatModel("Xi announced $900 billion in loans [1]."))
    with TestClient(create_app(settings, service)) as c:
        body = c.post("/v1/chat", json={"question": LENDING_QUESTION}).json()

    assert "$900 billion" not in body["answer"]
    # What is cited instead is the article's own sentence, quoted (the quote fallback).
    assert all("$100 billion" in c["quote"] for c in body["citations"])
    assert all(c["quote"] in body["answer"] for c in body["citations"])


def test_question_outside_the_articles_is_refused(client: TestClient) -> None:
    body = client.post("/v1/chat", json={"question": "Who won the 1998 football World Cup?"}).json()

    assert body["answered"] is False
    assert body["citations"] == []
    assert "do not contain" in body["answer"]


def test_source_filter_restricts_retrieval(client: TestClient) -> None:
    other = "003_891f867d674dd8be.txt"
    response = client.post(
        "/v1/chat", json={"question": LENDING_QUESTION, "filters": {"sources": [other]}}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["retrieved"]
    assert {p["source"] for p in body["retrieved"]} == {other}
    # The lending figure is only in another article, so the scripted model cannot answer.
    assert body["answered"] is False


def test_date_filter_excludes_older_articles(client: TestClient) -> None:
    response = client.post(
        "/v1/chat", json={"question": LENDING_QUESTION, "filters": {"date_from": "2024-01-01"}}
    )

    assert response.status_code == 200, response.text
    dates = [p["date"] for p in response.json()["retrieved"]]
    assert dates and all(d >= "2024-01-01" for d in dates)


def test_unknown_filter_key_is_rejected(client: TestClient) -> None:
    response = client.post(
        "/v1/chat", json={"question": LENDING_QUESTION, "filters": {"author": "x"}}
    )
    assert response.status_code == 422


# --- conversations ------------------------------------------------------------------------


def test_follow_up_is_rewritten_from_history_before_retrieval(corpus: Corpus) -> None:
    with TestClient(corpus.app()) as c:
        first = c.post("/v1/chat", json={"question": LENDING_QUESTION}).json()
        calls_before = len(corpus.llm.calls)
        second = c.post(
            "/v1/chat",
            json={"question": FOLLOW_UP, "conversation_id": first["conversation_id"]},
        )

    assert second.status_code == 200, second.text
    body = second.json()
    assert body["conversation_id"] == first["conversation_id"]
    assert body["standalone_question"] == REWRITTEN
    assert LENDING_SOURCE in {p["source"] for p in body["retrieved"]}
    assert body["answered"] is True
    # The condense prompt saw the first turn, as stored, and the follow-up.
    condense = corpus.llm.calls[calls_before][-1].content
    assert "Follow-up question: " + FOLLOW_UP in condense
    # The user's question, never the model's answer: a wrong answer must not steer the rewrite.
    assert LENDING_QUESTION in condense and first["answer"] not in condense
    # The answer prompt was built from the rewritten question, not the bare follow-up.
    assert REWRITTEN in corpus.llm.calls[calls_before + 1][-1].content


def test_conversation_survives_a_restart(
    service_factory: ServiceFactory, embedder: Embedder
) -> None:
    service, settings = service_factory()
    with TestClient(create_app(settings, service)) as c:
        first = c.post("/v1/chat", json={"question": LENDING_QUESTION}).json()

    # A second service on the same data dir stands in for a restarted server process.
    llm = FakeChatModel(scripted_reply)
    restarted = build_service(settings, llm=llm, embedder=embedder)
    with TestClient(create_app(settings, restarted)) as c:
        body = c.post(
            "/v1/chat", json={"question": FOLLOW_UP, "conversation_id": first["conversation_id"]}
        ).json()

    assert body["standalone_question"] == REWRITTEN
    assert LENDING_QUESTION in llm.calls[0][-1].content


def test_new_conversations_do_not_share_history(client: TestClient) -> None:
    a = client.post("/v1/chat", json={"question": LENDING_QUESTION}).json()
    b = client.post("/v1/chat", json={"question": FOLLOW_UP}).json()

    assert a["conversation_id"] != b["conversation_id"]
    # Without history the follow-up goes to retrieval as typed.
    assert b["standalone_question"] == FOLLOW_UP


def test_unknown_conversation_is_404_json(client: TestClient) -> None:
    response = client.post(
        "/v1/chat", json={"question": FOLLOW_UP, "conversation_id": "does-not-exist"}
    )

    assert response.status_code == 404
    assert "does-not-exist" in response.json()["detail"]


def test_malformed_conversation_id_is_rejected(client: TestClient) -> None:
    response = client.post(
        "/v1/chat", json={"question": FOLLOW_UP, "conversation_id": "../../etc/passwd"}
    )
    assert response.status_code == 422


# --- streaming ----------------------------------------------------------------------------


def _check_stream(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[-1] == "final" and names.count("final") == 1
    assert set(names[:-1]) == {"token"}
    draft = "".join(data["text"] for name, data in events if name == "token")
    assert "$100 billion" in draft
    final = events[-1][1]
    assert final["answered"] is True
    assert final["citations"][0]["source"] == LENDING_SOURCE
    assert final["conversation_id"]


def test_stream_flag_sends_tokens_then_final(client: TestClient) -> None:
    _check_stream(client.post("/v1/chat", json={"question": LENDING_QUESTION, "stream": True}))


def test_accept_header_selects_streaming(client: TestClient) -> None:
    response = client.post(
        "/v1/chat",
        json={"question": LENDING_QUESTION},
        headers={"Accept": "text/event-stream"},
    )
    _check_stream(response)


def test_streamed_turn_is_stored_for_follow_ups(client: TestClient) -> None:
    response = client.post("/v1/chat", json={"question": LENDING_QUESTION, "stream": True})
    conversation_id = parse_sse(response.text)[-1][1]["conversation_id"]

    follow_up = client.post(
        "/v1/chat", json={"question": FOLLOW_UP, "conversation_id": conversation_id}
    )

    assert follow_up.status_code == 200, follow_up.text
    assert follow_up.json()["standalone_question"] == REWRITTEN


def test_stream_errors_before_first_byte_are_json(client: TestClient) -> None:
    response = client.post("/v1/chat", json={"question": "  ", "stream": True})

    assert response.status_code == 422  # the request model's rule (rag.text.blank)
    assert response.headers["content-type"].startswith("application/json")
    assert "question is empty" in str(response.json()["detail"])


def test_tokens_reach_the_client_before_the_answer_is_finished(
    service_factory: ServiceFactory,
) -> None:
    # Over a real socket: a buffered response would hold the first token until the model is
    # done, which the model only is after the test has seen that token.
    model = GatedModel()
    service, settings = service_factory(model)
    with (
        serve_app(create_app(settings, service)) as url,
        httpx.stream(
            "POST",
            f"{url}/v1/chat",
            json={"question": LENDING_QUESTION, "stream": True},
            timeout=5.0,
        ) as response,
    ):
        assert response.status_code == 200
        lines = response.iter_lines()
        first = [next(lines), next(lines)]
        assert first == ["event: token", 'data: {"text": "Xi"}']
        model.gate.set()
        events = parse_sse("\n".join(lines))

    assert events[-1][0] == "final"
    assert events[-1][1]["answered"] is True


def test_parallel_turns_in_one_conversation_are_all_kept(live_url: str, corpus: Corpus) -> None:
    # Several server threads append to one SQLite conversation at once; none may be lost.
    first = httpx.post(f"{live_url}/v1/chat", json={"question": LENDING_QUESTION}).json()
    conversation_id = first["conversation_id"]
    # Four, so that all five turns fit in the six the service keeps as history.
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def follow_up() -> None:
        barrier.wait()
        response = httpx.post(
            f"{live_url}/v1/chat",
            json={"question": FOLLOW_UP, "conversation_id": conversation_id},
            timeout=30,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=follow_up) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses == [200] * 4
    conversations = corpus.service.conversations
    assert conversations is not None
    history = conversations.history(conversation_id)
    assert [turn.question for turn in history] == [LENDING_QUESTION] + [FOLLOW_UP] * 4
