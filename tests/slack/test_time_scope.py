"""A Slack question carries its own time scope: "as of 2017-03-05", "in March", "latest"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rag.embeddings.base import Embedder
from rag.factory import build_service
from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import Settings
from tests.api.test_time_scope import ARTICLES, LATEST, first_excerpt_figure
from tests.slack.conftest import SlackSender
from tests.slack.fake_slack import BOT_USER_ID, FakeSlack


@pytest.fixture
def stormont_service(tmp_path: Path, embedder: Embedder) -> RagService:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, (published, text) in ARTICLES.items():
        (folder / name).write_text(f" date {published.isoformat()}\n{text}\n")
    settings = Settings(data_dir=tmp_path / "data")
    service = build_service(settings, llm=FakeChatModel(first_excerpt_figure), embedder=embedder)
    assert service.ingest([folder]).ok
    return service


def test_as_of_in_the_message(
    serve: Callable[[RagService], SlackSender], stormont_service: RagService, fake_slack: FakeSlack
) -> None:
    slack = serve(stormont_service)
    question = LATEST.replace("How many", "As of 2017-03-05, how many")
    _, payload = slack.mention(f"<@{BOT_USER_ID}> {question}", channel="C7")
    assert slack.post(payload).status_code == 200
    fake_slack.wait_for(lambda: len(fake_slack.updates("C7")) >= 1)
    update = fake_slack.updates("C7")[0]
    assert update["text"] == (
        "The DUP won 26 seats, according to count-sat.txt on 4 March 2017 [1]."
    )
