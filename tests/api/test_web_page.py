"""The chat page at `/`, driven end to end in headless Chromium against the real uvicorn server."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from api.app import create_app
from rag.documents.loader import load_document, parse_document
from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import Settings
from tests.api.conftest import (
    API_KEY,
    ARTICLES,
    LENDING_QUESTION,
    LENDING_SOURCE,
    GatedModel,
)
from tests.servers import serve_app

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download needs the internet; Debian's chromium does not.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page, expect, sync_playwright

ServiceFactory = Callable[..., tuple[RagService, Settings]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def ask(page: Page, question: str) -> None:
    page.fill("#question", question)
    page.press("#question", "Enter")


def test_streamed_answer_and_citation_quote(page: Page, service_factory: ServiceFactory) -> None:
    model = GatedModel()
    service, settings = service_factory(model)
    with serve_app(create_app(settings, service)) as url:
        page.goto(url)
        ask(page, LENDING_QUESTION)

        expect(page.locator(".q")).to_have_text(LENDING_QUESTION)
        answer = page.locator(".a").last
        # The model holds after its first word, so this text can only have come as a token.
        expect(answer).to_have_text("Xi")
        expect(answer.locator("button.cite")).to_have_count(0)
        model.gate.set()

        cite = answer.locator("button.cite", has_text="[1]")
        expect(cite).to_be_visible()
        expect(answer).to_contain_text("Xi announced an additional $100 billion in loans [1].")
        expect(answer.locator(".source")).to_be_hidden()
        cite.click()

        panel = answer.locator(".source")
        expect(panel).to_be_visible()
        expect(panel).to_contain_text(LENDING_SOURCE)
        expect(panel).to_contain_text("2023-10-18")
        quote = panel.locator("blockquote.quote").inner_text()
        assert "China Development Bank and the Export-Import Bank" in quote
        assert quote in (ARTICLES / LENDING_SOURCE).read_text(encoding="utf-8")


def test_follow_up_in_the_page_continues_the_conversation(
    page: Page, service_factory: ServiceFactory
) -> None:
    service, settings = service_factory()
    with serve_app(create_app(settings, service)) as url:
        page.goto(url)
        ask(page, LENDING_QUESTION)
        expect(page.locator(".a").nth(0).locator("button.cite")).to_have_count(1)
        with page.expect_response("**/v1/chat") as follow_up:
            ask(page, "Which banks will provide it?")
        expect(page.locator(".a").nth(1).locator("button.cite")).to_have_count(1)

    # The page sent the first answer's conversation id, so the service rewrote the follow-up.
    assert '"standalone_question": "Which banks will provide the additional' in (
        follow_up.value.text()
    )


def test_page_shows_auth_errors_and_uses_the_key(page: Page, corpus_app_url: str) -> None:
    page.goto(corpus_app_url)
    ask(page, LENDING_QUESTION)
    expect(page.locator(".a.error")).to_contain_text("Error 401")

    page.click("summary")
    page.fill("#apikey", API_KEY)
    page.dispatch_event("#apikey", "change")
    ask(page, LENDING_QUESTION)

    expect(page.locator(".a").last.locator("button.cite")).to_have_count(1)


@pytest.fixture
def corpus_app_url(service_factory: ServiceFactory) -> Iterator[str]:
    service, settings = service_factory(api={"api_key": API_KEY})
    with serve_app(create_app(settings, service)) as url:
        yield url


def test_page_sends_the_date_inputs(page: Page, service_factory: ServiceFactory) -> None:
    service, settings = service_factory()
    with serve_app(create_app(settings, service)) as url:
        page.goto(url)
        page.click("#dates summary")
        page.fill("#date-from", "2023-10-01")
        page.fill("#as-of", "2023-10-31")
        with page.expect_request("**/v1/chat") as sent:
            ask(page, LENDING_QUESTION)
        expect(page.locator(".a").last.locator("button.cite")).to_have_count(1)
        body = sent.value.post_data_json
        assert body["filters"] == {"date_from": "2023-10-01"}
        assert body["as_of"] == "2023-10-31"
        # Cleared, they are not sent at all.
        page.fill("#date-from", "")
        page.fill("#as-of", "")
        with page.expect_request("**/v1/chat") as second:
            ask(page, LENDING_QUESTION)
        assert "filters" not in second.value.post_data_json
        assert "as_of" not in second.value.post_data_json


def test_sources_are_listed_and_open_the_article_at_the_cited_sentence(
    page: Page, service_factory: ServiceFactory
) -> None:
    doc = load_document(ARTICLES / LENDING_SOURCE, LENDING_SOURCE)
    service, settings = service_factory()
    with serve_app(create_app(settings, service)) as url:
        page.goto(url)
        ask(page, LENDING_QUESTION)

        # Under the answer: who published it (a plain file has no outlet: its name), the
        # headline as a link, and the date.
        answer = page.locator(".a").last
        item = answer.locator("ol.sources li")
        expect(item).to_have_count(1)
        expect(item.locator(".outlet")).to_have_text(LENDING_SOURCE)
        expect(item.locator("a.title")).to_have_text(doc.title)
        expect(item.locator("time.date")).to_have_text("2023-10-18")
        expect(page.locator("#reader")).to_be_hidden()
        item.locator("a.title").click()

        reader = page.locator("#reader")
        expect(reader).to_be_visible()
        expect(page.locator("#reader-title")).to_have_text(doc.title)
        expect(page.locator("#reader-meta")).to_have_text(f"{LENDING_SOURCE} · 2023-10-18")
        mark = page.locator("#reader-text mark")
        expect(mark).to_contain_text("$100 billion")
        # The whole article, as ingested, with the cited sentence marked where it stands.
        assert page.locator("#reader-text").text_content() == doc.text
        quote = mark.text_content() or ""
        start = doc.text.index(quote)
        assert f"#doc={doc.doc_id}&start={start}&end={start + len(quote)}" in page.url
        # Near the end of a long article: shown only because the view scrolled to it.
        expect(mark).to_be_in_viewport()
        assert page.eval_on_selector("#reader-text", "e => e.scrollTop") > 0

        page.click("#reader-close")
        expect(reader).to_be_hidden()


HOSTILE_TITLE = '<img src=x onerror="window.pwned = 1"><b>Harbour</b> report'
HOSTILE_OUTLET = "<b>Port Weekly</b>"
HOSTILE_SENTENCE = (
    "Cargo volumes at the Bergen harbour rose 4 percent to 61 million tonnes "
    "<img src=x onerror=window.pwned=2> <b>said</b> the report."
)
HARBOUR_QUESTION = "By how much did cargo volumes at the Bergen harbour rise?"
HARBOUR_ANSWER = "Cargo volumes at the Bergen harbour rose 4 percent to 61 million tonnes [1]."


def test_html_in_a_title_outlet_or_quote_shows_as_text_and_never_runs(
    page: Page, service_factory: ServiceFactory
) -> None:
    filler = "".join(
        f"Ferry route {i} will sail {i % 5 + 2} times a day this summer, the operator said.\n\n"
        for i in range(80)
    )
    text = f" date 2024-07-05 Harbour report\n\n{filler}{HOSTILE_SENTENCE}\n"
    article = dataclasses.replace(
        parse_document(text.encode(), "harbour.txt"),
        title=HOSTILE_TITLE,
        outlet=HOSTILE_OUTLET,
        url="javascript:window.pwned = 3",
    )
    service, settings = service_factory(FakeChatModel(HARBOUR_ANSWER), ingest=False)
    assert service.ingest_documents([article]).ok
    with serve_app(create_app(settings, service)) as url:
        page.goto(url)
        ask(page, HARBOUR_QUESTION)

        answer = page.locator(".a").last
        item = answer.locator("ol.sources li")
        expect(item.locator(".outlet")).to_have_text(HOSTILE_OUTLET)
        expect(item.locator("a.title")).to_have_text(HOSTILE_TITLE)
        answer.locator("button.cite").click()
        expect(answer.locator("blockquote.quote")).to_have_text(HOSTILE_SENTENCE)
        expect(answer.locator(".source")).to_contain_text(HOSTILE_TITLE)
        item.locator("a.title").click()

        expect(page.locator("#reader-title")).to_have_text(HOSTILE_TITLE)
        expect(page.locator("#reader-meta")).to_have_text(f"{HOSTILE_OUTLET} · 2024-07-05")
        mark = page.locator("#reader-text mark")
        expect(mark).to_have_text(HOSTILE_SENTENCE)
        expect(mark).to_be_in_viewport()
        assert page.eval_on_selector("#reader-text", "e => e.scrollTop") > 0
        # Nothing of it became markup, a link or a script.
        expect(page.locator("#log img, #log b, #reader img, #reader b")).to_have_count(0)
        expect(page.locator("#reader-meta a")).to_have_count(0)
        assert page.evaluate("window.pwned") is None
