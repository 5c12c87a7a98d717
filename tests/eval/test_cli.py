"""`rag eval --retrieval-only` on the full question set (what CI runs), and the exit codes."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from eval.__main__ import DEFAULT_QUESTIONS, main
from eval.dataset import load_question_set

TOTAL = len(load_question_set(DEFAULT_QUESTIONS).questions)


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any], Path]:
    """One retrieval-only run over the whole set, with a recall gate nothing can pass."""
    out = tmp_path_factory.mktemp("eval-out")
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code = main(
            ["--retrieval-only", "--min-recall", "1.01", "--min-mrr", "0.5", "--out", str(out)]
        )
    return code, errors.getvalue(), json.loads((out / "results.json").read_text()), out


def test_a_recall_gate_above_1_fails_with_exit_1_and_one_line(
    gated_run: tuple[int, str, dict[str, Any], Path],
) -> None:
    code, errors, data, _ = gated_run
    assert code == 1
    failures = [line for line in errors.splitlines() if line.startswith("gate failed")]
    assert len(failures) == 1 and failures[0].startswith("gate failed: recall ")
    assert [g["passed"] for g in data["gates"]] == [False, True]


def test_the_full_set_is_scored_for_system_and_baseline(
    gated_run: tuple[int, str, dict[str, Any], Path],
) -> None:
    _, _, data, _ = gated_run
    assert data["metadata"]["mode"] == "retrieval-only"
    assert data["metadata"]["question_set"]["selected"] == TOTAL
    for name in ("system", "baseline"):
        overall = data["aggregates"][name]["overall"]
        assert overall["n"] == TOTAL and overall["errors"] == 0
        assert overall["accuracy"] is None  # no model ran
        assert overall["wrong_answer_rate"] is None and overall["declined_or_corrected"] is None
        assert 0.5 < overall["recall"] <= 1.0
        assert overall["correction_hit"] is not None  # false premises' true articles
        assert "retrieve_s" in overall["latency"]
        halves = data["aggregates"][name]["by_half"]
        assert sum(h["overall"]["n"] for h in halves.values()) == TOTAL
        assert data["metadata"]["question_set"]["halves"] == {
            h: halves[h]["overall"]["n"] for h in ("dev", "test")
        }
    # The system's hybrid retrieval must not fall behind the plain recipe.
    system, baseline = (data["aggregates"][n]["overall"] for n in ("system", "baseline"))
    assert system["recall"] >= baseline["recall"]


def test_the_reports_are_written_with_every_question(
    gated_run: tuple[int, str, dict[str, Any], Path],
) -> None:
    _, _, data, out = gated_run
    markdown = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    for q in data["questions"]["system"]:
        assert f"| {q['id']} | {q['category']} |" in markdown
        assert f"<td>{q['id']}</td>" in html
    assert "FAIL --min-recall 1.01" in markdown


def test_half_runs_only_that_half(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--retrieval-only", "--categories", "false_premise", "--half", "test"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    ids = {q["id"] for q in data["questions"]["system"]}
    assert ids and all(q["half"] == "test" for q in data["questions"]["system"])
    assert data["metadata"]["question_set"]["selection"]["half"] == "test"
    assert list(data["aggregates"]["system"]["by_half"]) == ["test"]
    # One half: the summary has no per-half columns, which would repeat the run's own.
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == ["metric", "system", "baseline"]


def test_passing_gates_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--retrieval-only", "--categories", "name,quote", "--min-recall", "0.5"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "recall@" in out and str(tmp_path / "report.md") in out


@pytest.mark.parametrize(
    "args",
    [
        ["--retrieval-only", "--min-accuracy", "0.5"],  # needs answers
        ["--retrieval-only", "--min-declined-or-corrected", "0.95"],  # needs answers
        ["--retrieval-only", "--half", "train"],
        ["--limit", "0"],
        ["--min-recall", "high"],
        ["--ids", "q999", "--retrieval-only"],
    ],
)
def test_bad_options_exit_2(args: list[str], tmp_path: Path) -> None:
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
