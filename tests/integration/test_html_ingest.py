"""A saved web page goes into the real Chroma store as its article only, dated from its markup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from rag.service import RagService
from rag.types import Filters

PAGE = Path(__file__).parents[1] / "unit" / "data" / "news_page.html"


def test_page_furniture_is_not_indexed(make_service: Callable[..., RagService]) -> None:
    service = make_service(ingest=False)
    stored, report = service.add_document(PAGE.read_bytes(), "stormont.html")
    assert report.ok and stored.date == date(2017, 3, 6)
    text = "\n".join(c.text for c in service.store.chunks())
    assert "won 28 seats in the Northern Ireland Assembly election" in text
    for junk in ("Most read", "Cookie policy", "cookies", "Related stories", "Sign up"):
        assert junk not in text, junk
    # Neither search side finds the page by its furniture.
    hits = service.retrieve("Most read celebrity wedding photos cookie policy")
    assert all("cookie" not in p.chunk.text.lower() for p in hits)
    # The page's date is a filterable publication date.
    march = Filters(date_from=date(2017, 3, 1), date_to=date(2017, 3, 31))
    assert [p.chunk.source for p in service.retriever.retrieve("DUP seats", 3, march)] == [
        "stormont.html"
    ]
