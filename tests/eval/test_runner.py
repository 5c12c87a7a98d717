"""The runner end to end: real MiniLM embedder, real on-disk Chroma, a scripted chat model."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from eval.dataset import load_question_set, select
from eval.judge import Judge, parse_verdict
from eval.report import summary_table, write_all
from eval.runner import RunPlan, RunResult, run
from eval.scoring import QuestionRecord
from rag.embeddings.onnx_minilm import MiniLMEmbedder
from rag.llm.fake import FakeChatModel
from rag.settings import Settings
from rag.types import Message

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
CORPUS = ROOT / "data" / "articles"
IDS = ["q001", "q012", "q024", "q047", "q055"]
LENDING = "Xi announced an additional $100 billion in loans for the initiative [1]."
BANKS = "The China Development Bank and the Export-Import Bank will provide the loans [1]."
REPLIES = {
    "On what date did Xi and Putin meet on the sidelines of the SCO summit in Astana?": (
        "Xi and Putin met on 3 July 2024 in Astana [1]."
    ),
    # Wrong on purpose: no passage says 200 billion, so the system must not pass it on.
    "How much additional lending did Xi announce for the Belt and Road Initiative?": (
        "Xi announced an additional $200 billion in loans [1]."
    ),
    "Which two banks will provide the additional Belt and Road lending Xi announced?": BANKS,
    "How much extra lending did Xi announce for the Belt and Road Initiative?": LENDING,
    "Which banks will provide the additional $100 billion in Belt and Road loans?": BANKS,
}


def script(messages: Sequence[Message]) -> str:
    """Replies keyed on the question; declines the way each prompt asks for."""
    prompt = messages[-1].content
    if "Follow-up question:" in prompt:
        return "Which banks will provide the additional $100 billion in Belt and Road loans?"
    asked = re.search(r"^Question: (.+)$", prompt, re.MULTILINE)
    reply = REPLIES.get(asked.group(1).strip()) if asked else None
    if reply:
        return reply
    return "I don't know." if "Helpful answer:" in prompt else "NOT IN ARTICLES"


@pytest.fixture(scope="module")
def fake() -> FakeChatModel:
    return FakeChatModel(script)


@pytest.fixture(scope="module")
def result(
    tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedder, fake: FakeChatModel
) -> RunResult:
    question_set = load_question_set(QUESTIONS)
    plan = RunPlan(question_set, select(question_set, ids=IDS), CORPUS, baseline_answers=True)
    store = tmp_path_factory.mktemp("store")
    judge = Judge(FakeChatModel("CORRECT\nIt states the reference facts."))
    return run(plan, Settings(), store, embedder=embedder, llm=fake, judge=judge, progress=False)


def by_id(result: RunResult, contender: str = "system") -> dict[str, QuestionRecord]:
    return {r.id: r for r in result.records[contender]}


def test_a_supported_answer_is_correct_and_its_citation_checks_out(result: RunResult) -> None:
    q001 = by_id(result)["q001"]
    assert q001.correct is True
    assert q001.citations and all(c["supported"] for c in q001.citations)
    assert q001.recall == 1.0
    # The date is solved in code, so no model call is timed.
    assert {"retrieve_s", "total_s"} <= set(q001.timings)
    assert "generate_s" not in q001.timings


def test_a_wrong_figure_is_scored_wrong(result: RunResult) -> None:
    # The baseline passes the model's $200 billion on; the system drops it and quotes the
    # article's own sentence instead.
    wrong = by_id(result, "baseline")["q012"]
    assert wrong.correct is False
    assert wrong.missed_facts
    rescued = by_id(result)["q012"]
    assert rescued.correct is True
    assert any("answered by quoting" in note for note in rescued.notes)


def test_an_unanswerable_question_is_correct_when_declined(result: RunResult) -> None:
    assert by_id(result)["q047"].correct is True
    assert by_id(result, "baseline")["q047"].answered is False


def test_a_follow_up_gets_the_systems_own_earlier_answer_as_history(
    result: RunResult, fake: FakeChatModel
) -> None:
    q055 = by_id(result)["q055"]
    assert q055.correct is True
    assert "100 billion" in q055.history_answers[0]
    assert q055.query.startswith("Which banks")  # the model's rewrite, not the raw turn
    condense = [m[-1].content for m in fake.calls if "Follow-up question:" in m[-1].content]
    # The rewrite sees the user's earlier question, never the model's earlier answer.
    assert any("How much extra lending did Xi announce" in prompt for prompt in condense)
    assert not any("100 billion" in prompt for prompt in condense)


def test_aggregates_cover_both_contenders_and_every_category(result: RunResult) -> None:
    system = result.overall["system"]
    assert system.n == len(IDS)
    assert system.accuracy == pytest.approx(5 / 5)
    assert system.refusal_accuracy == 1.0
    assert system.judge_accuracy == 1.0
    assert "condense_s" in system.latency
    assert result.overall["baseline"].accuracy is not None
    categories = {"date", "number", "name", "unanswerable", "multi_turn"}
    assert set(result.categories["system"]) == categories


def test_the_report_files_hold_the_per_question_table(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    paths = write_all(result, tmp_path, [])
    markdown = paths["markdown"].read_text()
    header = "| id | category | question | answer | correct? | recall | MRR | citations | latency |"
    assert header in markdown
    assert re.search(
        r"^\| q001 \| date \| .* \| yes \| 1\.000 \| 1\.000 \| \[1\] 004_", markdown, re.M
    )
    assert "plot skipped: matplotlib is not installed" in markdown
    assert "| q012 | number | How much additional lending" in markdown
    html = paths["html"].read_text()
    assert "<th>citations</th>" in html and "q055" in html
    data = json.loads(paths["json"].read_text())
    assert data["metadata"]["question_set"]["version"] == load_question_set(QUESTIONS).version
    assert data["metadata"]["model"] == "fake"
    assert [q["id"] for q in data["questions"]["system"]] == IDS
    assert "plot" not in paths


def test_the_plot_is_written_when_matplotlib_is_installed(
    result: RunResult, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    paths = write_all(result, tmp_path, [])
    assert paths["plot"].read_bytes().startswith(b"\x89PNG")
    assert "![accuracy and p50 latency by category](plot.png)" in paths["markdown"].read_text()


def test_the_summary_table_lists_system_and_baseline(result: RunResult) -> None:
    table = summary_table(result)
    assert table.splitlines()[0].split() == ["metric", "system", "baseline"]
    assert "accuracy" in table and "p50 total_s" in table


@pytest.mark.parametrize(
    ("reply", "correct"),
    [("CORRECT\nSame date.", True), ("**INCORRECT**: wrong year", False), ("maybe", None)],
)
def test_judge_verdicts_are_parsed(reply: str, correct: bool | None) -> None:
    assert parse_verdict(reply).correct is correct
