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
IDS = ["q001", "q012", "q024", "q047", "q055", "q080"]
# Xi did not say it (Putin did): a reply that states the premise, for the baseline to pass on.
SWAPPED = "Xi called the Belt and Road Initiative an unexpected success story [1]."
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
    "Why did Xi call the Belt and Road Initiative an unexpected 'success story' at the forum?": (
        SWAPPED
    ),
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


def test_a_false_premise_stated_in_an_answer_is_accepted(result: RunResult) -> None:
    swapped = by_id(result, "baseline")["q080"]
    assert swapped.false_premise and swapped.answered is True
    assert (swapped.correct, swapped.wrong_answer, swapped.premise_accepted) == (False, True, True)
    baseline = result.overall["baseline"]
    assert baseline.premise_accepted_rate == 1.0
    assert baseline.declined_or_corrected == pytest.approx(1 / 2)  # q047 declined, q080 not
    # The system's verdict on it depends on its own checks; it is scored either way.
    system = by_id(result)["q080"]
    assert system.premise_accepted is not None and system.corrected is not None
    assert system.wrong_answer is (system.answered is True)


def test_aggregates_cover_both_contenders_and_every_category(result: RunResult) -> None:
    system = result.overall["system"]
    assert system.n == len(IDS)
    assert all(by_id(result)[i].correct for i in IDS[:5])
    assert system.refusal_accuracy == 1.0
    assert system.judge_accuracy == 1.0
    assert system.wrong_answer_rate is not None and system.declined_or_corrected is not None
    assert "condense_s" in system.latency
    assert result.overall["baseline"].accuracy is not None
    categories = {"date", "number", "name", "unanswerable", "multi_turn", "false_premise"}
    assert set(result.categories["system"]) == categories
    # Every aggregate again per half; the halves partition the questions.
    halves = result.halves["system"]
    assert set(halves) == {"dev", "test"}
    assert sum(h.n for h in halves.values()) == len(IDS)
    assert set(result.half_categories["system"]["dev"]) <= categories


def test_the_report_files_hold_the_per_question_table(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    paths = write_all(result, tmp_path, [])
    markdown = paths["markdown"].read_text()
    header = (
        "| id | category | half | question | answer | correct? | recall | MRR | citations "
        "| latency |"
    )
    assert header in markdown
    assert re.search(
        r"^\| q001 \| date \| dev \| .* \| yes \| 1\.000 \| 1\.000 \| \[1\] 004_", markdown, re.M
    )
    assert re.search(
        r"^\| q080 \| false_premise \| dev \| .* \| no \(premise accepted\) \|", markdown, re.M
    )
    assert "## Truthfulness by category" in markdown
    assert re.search(r"^\| false_premise \| 1 \(1/0\) \|", markdown, re.M)
    assert "plot skipped: matplotlib is not installed" in markdown
    assert "| q012 | number | test | How much additional lending" in markdown
    html = paths["html"].read_text()
    assert "<th>citations</th>" in html and "q055" in html
    assert "<h2>Truthfulness by category</h2>" in html and "<th>system test</th>" in html
    data = json.loads(paths["json"].read_text())
    by_half = data["aggregates"]["system"]["by_half"]
    assert set(by_half) == {"dev", "test"}
    assert by_half["dev"]["overall"]["n"] + by_half["test"]["overall"]["n"] == len(IDS)
    assert "false_premise" in by_half["dev"]["by_category"]
    q080 = next(q for q in data["questions"]["baseline"] if q["id"] == "q080")
    assert q080["premise_accepted"] is True and q080["half"] == "dev"
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


def test_the_summary_table_lists_system_and_baseline_overall_and_per_half(
    result: RunResult,
) -> None:
    table = summary_table(result)
    header = re.split(r"\s{2,}", table.splitlines()[0].strip())
    assert header == [
        "metric", "system", "system dev", "system test",
        "baseline", "baseline dev", "baseline test",
    ]  # fmt: skip
    assert "accuracy" in table and "p50 total_s" in table
    for label in ("wrong-answer rate", "premise accepted rate", "declined or corrected"):
        assert label in table


@pytest.mark.parametrize(
    ("reply", "correct"),
    [("CORRECT\nSame date.", True), ("**INCORRECT**: wrong year", False), ("maybe", None)],
)
def test_judge_verdicts_are_parsed(reply: str, correct: bool | None) -> None:
    assert parse_verdict(reply).correct is correct
