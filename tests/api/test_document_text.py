"""GET /v1/documents/{doc_id}/text: the article as ingested, which citations index into, so a
reader can open a source and see the cited sentence in place."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.documents.loader import doc_id_for, iter_article_paths, load_document, parse_document
from rag.llm.fake import FakeChatModel
from tests.api.conftest import (
    API_KEY,
    ARTICLES,
    LENDING_QUESTION,
    LENDING_SOURCE,
    Corpus,
    ServiceFactory,
)
from tests.servers import serve_app


def text_of(client: TestClient | httpx.Client, doc_id: str, **kw: Any) -> httpx.Response:
    return client.get(f"/v1/documents/{doc_id}/text", **kw)


def test_the_text_is_each_article_as_ingested(client: TestClient) -> None:
    for file, source in iter_article_paths([ARTICLES]):
        doc = load_document(file, source)
        response = text_of(client, doc.doc_id)

        assert response.status_code == 200, response.text
        assert response.json() == {
            "doc_id": doc.doc_id,
            "source": source,
            "title": doc.title,
            "outlet": None,
            "date": doc.date.isoformat() if doc.date else None,
            "url": None,
            "text": doc.text,
        }


def test_a_citation_indexes_into_the_text_of_its_document(client: TestClient) -> None:
    chat = client.post("/v1/chat", json={"question": LENDING_QUESTION}).json()
    completion = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": LENDING_QUESTION}]}
    ).json()

    [citation] = chat["citations"]
    assert citation["doc_id"] == doc_id_for(LENDING_SOURCE)
    assert citation["title"] and citation["outlet"] is None and citation["url"] is None
    text = text_of(client, citation["doc_id"]).json()["text"]
    assert text[citation["start"] : citation["end"]] == citation["quote"]
    assert "$100 billion" in citation["quote"]
    # The OpenAI-compatible route returns the same citation objects.
    assert completion["citations"] == chat["citations"]


def test_unknown_document_is_a_404_and_a_malformed_id_a_400(client: TestClient) -> None:
    missing = text_of(client, "0123456789abcdef")
    malformed = text_of(client, "not-an-id")

    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json() == {"detail": "document '0123456789abcdef' not found"}
    assert malformed.status_code == 400
    assert malformed.json() == {"detail": "'not-an-id' is not a document id (16 hex characters)"}


def test_the_text_needs_the_api_key(corpus: Corpus) -> None:
    doc_id = doc_id_for(LENDING_SOURCE)
    with TestClient(corpus.app(api_key=API_KEY)) as keyed:
        refused = text_of(keyed, doc_id)
        wrong = text_of(keyed, doc_id, headers={"Authorization": "Bearer nope"})
        allowed = text_of(keyed, doc_id, headers={"Authorization": f"Bearer {API_KEY}"})

    assert refused.status_code == wrong.status_code == 401
    assert refused.json()["detail"].startswith("missing or wrong API key")
    assert allowed.status_code == 200
    assert allowed.json()["source"] == LENDING_SOURCE


# An archive article (outlet, headline, URL) in wire copy printed by two outlets.
WIRE = (
    "Floodwaters swept through the river town of Velmora on Tuesday, forcing more than 4,000 "
    "residents from their homes, the regional governor Ilse Marquardt said.\n\n"
    "The Velmora river rose by more than two metres overnight and breached a levee built in "
    "1978, engineers said.\n"
)
OUTLETS = {
    "newsarticles-1.txt": ("DW", "https://www.dw.com/en/velmora-floods/a-1"),
    "newsarticles-2.txt": ("RTÉ", "https://www.rte.ie/news/world/velmora-floods"),
}
FLOOD_QUESTION = "How many residents did the Velmora floods force from their homes?"
FLOOD_ANSWER = "The floods forced more than 4,000 residents from their homes [1]."


@pytest.fixture
def archive_app(service_factory: ServiceFactory) -> Iterator[httpx.Client]:
    service, settings = service_factory(FakeChatModel(FLOOD_ANSWER), ingest=False)
    docs = [
        dataclasses.replace(
            parse_document(f" date 2017-03-0{i + 1}\n{WIRE}".encode(), source),
            title=f"<b>Floods</b> sweep Velmora ({outlet})",
            outlet=outlet,
            url=url,
        )
        for i, (source, (outlet, url)) in enumerate(OUTLETS.items())
    ]
    assert service.ingest_documents(docs).ok
    with (
        serve_app(create_app(settings, service)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def test_an_archive_citation_names_its_outlet_title_and_url(archive_app: httpx.Client) -> None:
    chat = archive_app.post("/v1/chat", json={"question": FLOOD_QUESTION})
    assert chat.status_code == 200, chat.text
    [citation] = chat.json()["citations"]
    outlet, url = OUTLETS[citation["source"]]

    assert citation["outlet"] == outlet
    assert citation["title"] == f"<b>Floods</b> sweep Velmora ({outlet})"
    assert citation["url"] == url
    article = text_of(archive_app, citation["doc_id"]).json()
    assert article["source"] == citation["source"]
    assert (article["outlet"], article["url"], article["title"]) == (
        outlet,
        url,
        citation["title"],
    )
    assert article["text"][citation["start"] : citation["end"]] == citation["quote"]
    assert "4,000 residents" in citation["quote"]


def test_the_text_route_is_in_the_schema(corpus: Corpus) -> None:
    app = corpus.app()
    operation = app.openapi()["paths"]["/v1/documents/{doc_id}/text"]["get"]
    assert {"200", "401", "404"} <= set(operation["responses"])
