"""The question set loads, and every kind of bad file stops the run with its file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.__main__ import main
from eval.dataset import DatasetError, load_question_set, select
from rag.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions.jsonl"


def item(**changes: Any) -> dict[str, Any]:
    good: dict[str, Any] = {
        "id": "q1",
        "category": "date",
        "question": "On what date did Xi and Putin meet in Astana?",
        "history": [],
        "reference_answer": "On 3 July 2024.",
        "facts": [["3 July 2024", "2024-07-03"]],
        "expected_sources": ["004_d9422b366859b37e.txt"],
        "answerable": True,
    }
    good.update(changes)
    return good


def write(tmp_path: Path, *lines: str | dict[str, Any]) -> Path:
    path = tmp_path / "questions.jsonl"
    text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def error_for(path: Path) -> str:
    with pytest.raises(DatasetError) as caught:
        load_question_set(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- the real set --------------------------------------------------------------------------


def test_the_shipped_set_loads_with_its_version() -> None:
    qs = load_question_set(QUESTIONS)
    meta = json.loads((ROOT / "eval" / "questions.meta.json").read_text())
    assert qs.version == meta["version"]
    assert len(qs.questions) == 66
    assert {"date", "number", "unanswerable", "multi_turn"} <= set(qs.categories)
    assert all(q.history for q in qs.questions if q.category == "multi_turn")


def test_a_valid_line_parses_into_typed_fields(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, item(history=["Where was the summit?"])))
    q = qs.questions[0]
    assert q.history == ("Where was the summit?",)
    assert q.facts == (("3 July 2024", "2024-07-03"),)
    assert q.line == 1
    assert qs.version == "unversioned"  # no meta file next to it


# --- every bad case names the file and line --------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ('{"id": "q2", "category": ', "not valid JSON"),
        ('["q2"]', "must be a JSON object"),
        (item(id="q2", difficulty="easy"), "unknown field(s) difficulty"),
        (item(id="q2", note=["quote"]), "field note must be a string"),
        ({k: v for k, v in item(id="q2").items() if k != "facts"}, "missing field(s) facts"),
        (item(id="q2", history="Where?"), "history must be a list"),
        (item(id="q2", answerable="yes"), "answerable must be true or false"),
        (item(id="q2", question="  "), "question must not be empty"),
        (item(id=2), "id must be a string"),
        (item(id="q2", facts=["3 July"]), "facts[0] must be a non-empty list"),
        (item(id="q2", facts=[[]]), "facts[0] must be a non-empty list"),
        (
            item(id="q2", facts=[["ok", "(unclosed"]]),
            "facts[0][1] '(unclosed' is not a valid regex",
        ),
        (item(id="q2", facts=[]), "answerable question has no facts"),
        (item(id="q2", expected_sources=[]), "has no expected_sources"),
        (item(id="q2", answerable=False), "unanswerable question must have empty facts"),
        (item(id="q1"), "duplicate id 'q1' (first used on line 1)"),
    ],
)
def test_a_bad_second_line_is_reported_with_its_line_number(
    tmp_path: Path, bad: str | dict[str, Any], expected: str
) -> None:
    path = write(tmp_path, item(), bad)
    message = error_for(path)
    assert message.startswith(f"{path}:2: ")
    assert expected in message


def test_blank_lines_are_skipped_but_still_counted(tmp_path: Path) -> None:
    path = write(tmp_path, item(), "", '{"oops"')
    assert error_for(path).startswith(f"{path}:3: not valid JSON")


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    assert "holds no questions" in error_for(write(tmp_path, ""))


def test_a_broken_meta_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, item())
    (tmp_path / "questions.meta.json").write_text('{"version": 1}')
    assert "questions.meta.json" in error_for(path)
    assert '"version" string' in error_for(path)


def test_the_cli_exits_2_with_one_line_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, item(), item(id="q2", facts=[["[bad"]]))
    assert main(["--retrieval-only", "--questions", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"{path}:2:" in err and "not a valid regex" in err
    assert not (tmp_path / "out").exists()


# --- choosing questions ----------------------------------------------------------------------


def test_select_by_ids_categories_and_limit_keeps_file_order() -> None:
    qs = load_question_set(QUESTIONS)
    assert [q.id for q in select(qs, ids=["q012", "q001"])] == ["q001", "q012"]
    assert {q.category for q in select(qs, categories=["date", "number"])} == {"date", "number"}
    assert len(select(qs, categories=["date"], limit=3)) == 3


@pytest.mark.parametrize(("ids", "categories"), [(["q999"], []), ([], ["weather"])])
def test_unknown_ids_or_categories_are_errors(ids: list[str], categories: list[str]) -> None:
    with pytest.raises(InvalidInput, match="unknown"):
        select(load_question_set(QUESTIONS), ids=ids, categories=categories)
