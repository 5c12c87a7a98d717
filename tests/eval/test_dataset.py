"""The question set loads, and every kind of bad file stops the run with its file and line."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eval.__main__ import main
from eval.dataset import DatasetError, EvalQuestion, half_of, load_question_set, select
from eval.metrics import facts_match
from rag.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
ARTICLES = ROOT / "data" / "articles"
# `000_f4d4d8ba4c92511d.txt: "phrase"` in a note: a phrase quoted from that article.
_QUOTE = re.compile(r'(\d{3}_[0-9a-f]{16}\.txt): "(.+?)"(?=; |\. |\.?$)')
# The regexes a note says found nothing: ``no article matches `regex` ``.
NO_MATCH = re.compile(r"[Nn]o article matches `([^`]+)`")
# A false-premise note opens with the premise as an accepting answer would state it.
STATED = re.compile(
    r'^False premise \((non-event|speaker swap|entity swap|wrong year)\): "([^"]+)"'
)


def false_premise(**changes: Any) -> dict[str, Any]:
    good = item(
        id="q2",
        category="false_premise",
        question="Why did Putin cancel his trip to Beijing?",
        reference_answer="He did not cancel it: he landed in Beijing on 17 October 2023.",
        facts=[],
        answerable=False,
        expected_sources=["002_77e1ef7318c197bb.txt"],
        premise=[["cancel\\w* (his |the )?trip"]],
    )
    good.update(changes)
    return good


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
    assert qs.version == meta["version"] == meta["changelog"][-1]["version"]
    assert len(qs.questions) == 91
    assert {"date", "number", "unanswerable", "multi_turn", "false_premise"} <= set(qs.categories)
    assert all(q.history for q in qs.questions if q.category == "multi_turn")
    counts = Counter(q.category for q in qs.questions)
    assert counts["false_premise"] >= 15 and counts["unanswerable"] >= 12, counts


def test_a_valid_false_premise_line_parses_with_its_premise(tmp_path: Path) -> None:
    q = load_question_set(write(tmp_path, item(), false_premise())).questions[1]
    assert q.premise == (("cancel\\w* (his |the )?trip",),)
    assert q.false_premise and not q.answerable and not q.facts
    assert q.expected_sources == ("002_77e1ef7318c197bb.txt",)
    assert not load_question_set(write(tmp_path, item())).questions[0].false_premise


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
        (item(id="q2", premise=[["resign"]]), "field premise is only for false_premise"),
        (
            {k: v for k, v in false_premise().items() if k != "premise"},
            "a false_premise question needs a premise",
        ),
        (false_premise(premise=[]), "field premise must hold at least one group"),
        (false_premise(premise="cancel"), "field premise must be a list of lists"),
        (false_premise(premise=[["ok", "(bad"]]), "premise[0][1] '(bad' is not a valid regex"),
        (false_premise(premise=[[""]]), "premise[0][0] must be a non-empty string"),
        (false_premise(answerable=True), "must have answerable false and empty facts"),
        (false_premise(facts=[["17 October"]]), "must have answerable false and empty facts"),
        (false_premise(expected_sources=[]), "needs expected_sources"),
        (false_premise(corrected=True), "unknown field(s) corrected"),
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


# --- the notes of the shipped set, against the five articles --------------------------------


def articles() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in ARTICLES.glob("*.txt")}


def squeeze(text: str) -> str:
    """Letters and digits only, so curly and straight quotes compare equal."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def test_every_quoted_phrase_is_in_the_article_it_names() -> None:
    corpus = {name: squeeze(text) for name, text in articles().items()}
    checked = 0
    for q in load_question_set(QUESTIONS).questions:
        for source, phrase in _QUOTE.findall(q.note):
            assert squeeze(phrase) in corpus[source], (q.id, source, phrase)
            checked += 1
    assert checked >= 20


def test_every_regex_a_note_says_found_nothing_still_finds_nothing() -> None:
    texts = articles().values()
    patterns = [
        (q.id, p) for q in load_question_set(QUESTIONS).questions for p in NO_MATCH.findall(q.note)
    ]
    assert len(patterns) >= 10
    for qid, pattern in patterns:
        assert not any(re.search(pattern, text, re.IGNORECASE) for text in texts), (qid, pattern)


def test_every_unanswerable_added_for_issue_22_says_how_it_was_checked() -> None:
    added = [q for q in load_question_set(QUESTIONS).questions if q.id >= "q067"]
    for q in added:
        if not q.answerable and not q.false_premise:
            assert "Checked over all five articles" in q.note, q.id


def test_false_premises_state_what_they_assert_and_no_article_asserts_it() -> None:
    texts = articles()
    kinds: Counter[str] = Counter()
    for q in load_question_set(QUESTIONS).questions:
        if not q.false_premise:
            continue
        assert_premise_is_sound(q, texts)
        kinds[STATED.match(q.note).group(1)] += 1  # type: ignore[union-attr]
    # Roughly a quarter of each kind, so no single trick dominates the rate.
    assert set(kinds) == {"non-event", "speaker swap", "entity swap", "wrong year"}
    assert min(kinds.values()) >= 3, kinds


def assert_premise_is_sound(q: EvalQuestion, texts: dict[str, str]) -> None:
    """The premise regexes fire on the premise as an answer would state it, and on no
    article: an article that states the premise would make it true."""
    stated = STATED.match(q.note)
    assert stated, f"{q.id}: the note must open with 'False premise (kind): \"...\"'"
    assert facts_match(stated.group(2), q.premise), (q.id, stated.group(2))
    for name, text in texts.items():
        assert not facts_match(text, q.premise), (q.id, name)
    quoted = {source for source, _ in _QUOTE.findall(q.note)}
    assert quoted == set(q.expected_sources), q.id


# --- halves ------------------------------------------------------------------------------------


def test_the_half_is_fixed_by_the_id_alone() -> None:
    # sha256("q001") starts with 0xa8 (even: dev), sha256("q002") with 0xed (odd: test).
    assert (half_of("q001"), half_of("q002")) == ("dev", "test")
    qs = load_question_set(QUESTIONS)
    dev, test = (select(qs, half=h) for h in ("dev", "test"))
    assert {q.id for q in dev}.isdisjoint({q.id for q in test})
    assert len(dev) + len(test) == len(qs.questions)
    assert all(q.half == "dev" for q in dev) and abs(len(dev) - len(test)) <= 10


def test_select_by_half_applies_the_limit_after_it() -> None:
    qs = load_question_set(QUESTIONS)
    chosen = select(qs, categories=["false_premise"], half="test", limit=2)
    assert len(chosen) == 2 and all(q.half == "test" and q.false_premise for q in chosen)
    with pytest.raises(InvalidInput, match="unknown half"):
        select(qs, half="train")


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
