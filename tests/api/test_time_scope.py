"""Time scope over the real path: real MiniLM, Chroma on disk, the FastAPI app under uvicorn.

Three dated reports of one count (an older figure superseded by a newer one) and a February
preview. The scripted model answers with the figure of the first excerpt it is shown, so the
answer's figure says which article the service chose to answer from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import Settings
from rag.types import Message
from tests.api.conftest import ServiceFactory
from tests.servers import serve_app

ARTICLES = {
    # A preview: no March date in it, so "in March" must leave it out.
    "preview-feb.txt": (
        date(2017, 2, 27),
        "Stormont poll preview\n\nIn the last Northern Ireland assembly election count the DUP "
        "won 38 seats, and pollsters expect fewer seats this time.",
    ),
    # The first count: every word of the question, so it outranks the final count.
    "count-sat.txt": (
        date(2017, 3, 4),
        "Stormont count continues\n\nThe DUP won 26 seats in the Northern Ireland assembly "
        "election count on Saturday, with more seats still to be declared.",
    ),
    "count-mon.txt": (
        date(2017, 3, 6),
        "Stormont final result\n\nAfter the final count the DUP won 28 seats in the Northern "
        "Ireland assembly.",
    ),
}
LATEST = "How many seats has the DUP won so far in the Northern Ireland assembly election count?"
IN_MARCH = "How many seats did the DUP win in the Northern Ireland assembly election in March?"
_FIRST_FIGURE = re.compile(r"\[1\].*?won (\d+) seats", re.DOTALL)


def first_excerpt_figure(messages: Sequence[Message]) -> str:
    found = _FIRST_FIGURE.search(messages[-1].content)
    return f"The DUP won {found[1]} seats [1]." if found else "NOT IN ARTICLES"


@pytest.fixture(scope="module")
def stormont(
    service_factory: ServiceFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, RagService, Settings]]:
    folder: Path = tmp_path_factory.mktemp("stormont")
    for name, (published, text) in ARTICLES.items():
        (folder / name).write_text(f" date {published.isoformat()}\n{text}\n")
    service, settings = service_factory(FakeChatModel(first_excerpt_figure), ingest=False)
    assert service.ingest([folder]).ok
    with serve_app(create_app(settings, service)) as url:
        yield url, service, settings


def ask(url: str, **body: object) -> dict:
    response = httpx.post(f"{url}/v1/chat", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_latest_answers_from_the_newest_report_with_outlet_and_day(stormont) -> None:
    url, _, _ = stormont
    out = ask(url, question=LATEST)
    assert out["answer"] == (
        "The DUP won 28 seats, according to count-mon.txt on 6 March 2017 [1]."
    )
    assert [c["source"] for c in out["citations"]] == ["count-mon.txt"]


def test_as_of_caps_the_articles_and_latest_is_the_newest_before_it(stormont) -> None:
    url, _, _ = stormont
    out = ask(url, question=LATEST, as_of="2017-03-05")
    assert out["answer"] == (
        "The DUP won 26 seats, according to count-sat.txt on 4 March 2017 [1]."
    )
    assert all(p["date"] <= "2017-03-05" for p in out["retrieved"])


def test_in_march_leaves_out_the_february_article(stormont) -> None:
    url, _, _ = stormont
    out = ask(url, question=IN_MARCH, as_of="2017-03-20")
    sources = {p["source"] for p in out["retrieved"]}
    assert sources and "preview-feb.txt" not in sources
    # Not a "latest" question: the two counts differ, and the answer says so.
    assert re.fullmatch(
        r"The DUP won (26|28) seats \[1\] \((28|26) according to count-(mon|sat)\.txt \[2\]\)\.",
        out["answer"],
    ), out["answer"]
    # Every cited passage is among those the response lists.
    assert {c["chunk_id"] for c in out["citations"]} <= {p["chunk_id"] for p in out["retrieved"]}


def test_without_a_scope_every_article_may_answer(stormont) -> None:
    url, _, _ = stormont
    question = "How many seats did the DUP win in the Northern Ireland assembly election?"
    sources = {p["source"] for p in ask(url, question=question)["retrieved"]}
    assert "preview-feb.txt" in sources


def test_streamed_answer_has_the_same_scope(stormont) -> None:
    url, _, _ = stormont
    body = {"question": LATEST, "as_of": "2017-03-05", "stream": True}
    with httpx.stream("POST", f"{url}/v1/chat", json=body, timeout=60) as response:
        text = "".join(response.iter_text())
    assert "according to count-sat.txt on 4 March 2017" in text


def test_bad_as_of_is_a_422(stormont) -> None:
    url, _, _ = stormont
    response = httpx.post(f"{url}/v1/chat", json={"question": LATEST, "as_of": "next Tuesday"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")
    assert "as_of" in response.text


def test_openai_route_takes_as_of_and_filters(stormont) -> None:
    url, _, _ = stormont
    body = {
        "messages": [{"role": "user", "content": LATEST}],
        "as_of": "2017-03-05",
        "filters": {"sources": ["count-sat.txt", "count-mon.txt"]},
    }
    response = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert content == "The DUP won 26 seats, according to count-sat.txt on 4 March 2017 [1]."


def test_reference_date_follows_ingest(stormont) -> None:
    """Relative phrases count from the newest article, which an ingest moves."""
    _, service, _ = stormont
    assert service.retriever.newest_date() == date(2017, 3, 6)
