"""The versioned question set: `questions.jsonl` plus `questions.meta.json`, validated line by line.

Every problem is reported as one line that names the file and line, because a typo in a regex
must stop the run before it silently scores every answer as wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import InvalidInput

REQUIRED_FIELDS = (
    "id",
    "category",
    "question",
    "history",
    "reference_answer",
    "facts",
    "expected_sources",
    "answerable",
)
# A reviewer's note: the supporting phrase and how a relative date was resolved. Never scored.
# `premise`: on false-premise items only, regexes that mark an answer asserting the premise.
OPTIONAL_FIELDS = ("note", "premise")
# The category whose questions take something false for granted; only its items carry `premise`.
FALSE_PREMISE = "false_premise"
HALVES = ("dev", "test")


class DatasetError(InvalidInput):
    """A bad eval file. `str()` is one line: `path:line: what is wrong`."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


Fail = Callable[[str], DatasetError]


@dataclass(frozen=True)
class EvalQuestion:
    """One line of the question set.

    `facts` are groups of alternative regexes: the answer is correct when every group has at
    least one alternative that `re.search`es it, case-insensitively. `premise` (false-premise
    items only) has the same shape: an answer asserts the premise when every group matches.
    """

    id: str
    category: str
    question: str
    history: tuple[str, ...]
    reference_answer: str
    facts: tuple[tuple[str, ...], ...]
    expected_sources: tuple[str, ...]
    answerable: bool
    note: str = ""
    line: int = 0
    premise: tuple[tuple[str, ...], ...] = ()

    @property
    def false_premise(self) -> bool:
        return self.category == FALSE_PREMISE

    @property
    def half(self) -> str:
        return half_of(self.id)


def half_of(question_id: str) -> str:
    """`dev` or `test`, fixed by the id alone: the first byte of its sha256, even → dev.

    A hash rather than file order, so adding, moving or deleting items never moves another
    item to the other half.
    """
    return HALVES[hashlib.sha256(question_id.encode("utf-8")).digest()[0] % 2]


@dataclass(frozen=True)
class QuestionSet:
    path: Path
    name: str
    version: str
    sha256: str  # of the questions file, so a result can be tied to the exact file scored
    questions: tuple[EvalQuestion, ...]

    @property
    def categories(self) -> list[str]:
        return sorted({q.category for q in self.questions})


def meta_path(questions_path: Path) -> Path:
    """`questions.jsonl` → `questions.meta.json`."""
    return questions_path.with_suffix(".meta.json")


def load_question_set(path: Path) -> QuestionSet:
    """Read and validate a question set; raise `DatasetError` on the first problem."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(path, None, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(path, None, f"not UTF-8 (bad byte at offset {exc.start})") from None
    questions = parse_questions(text, path)
    name, version = _read_meta(path)
    return QuestionSet(path, name, version, hashlib.sha256(data).hexdigest(), questions)


def parse_questions(text: str, path: Path) -> tuple[EvalQuestion, ...]:
    questions: list[EvalQuestion] = []
    first_line_of: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue  # blank lines (a trailing newline, a separator) carry nothing
        question = _parse_line(raw, path, number)
        if question.id in first_line_of:
            raise DatasetError(
                path,
                number,
                f"duplicate id {question.id!r} (first used on line {first_line_of[question.id]})",
            )
        first_line_of[question.id] = number
        questions.append(question)
    if not questions:
        raise DatasetError(path, None, "holds no questions")
    return tuple(questions)


def _parse_line(raw: str, path: Path, number: int) -> EvalQuestion:
    def fail(message: str) -> DatasetError:
        return DatasetError(path, number, message)

    try:
        item = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(item, dict):
        raise fail(f"each line must be a JSON object, got {_type_name(item)}")
    allowed = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise fail(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    missing = [f for f in REQUIRED_FIELDS if f not in item]
    if missing:
        raise fail(f"missing field(s) {', '.join(missing)}")
    for field in ("id", "category", "question"):
        _require_text(item, field, fail)
    if not isinstance(item["reference_answer"], str):
        raise fail(
            f"field reference_answer must be a string, got {_type_name(item['reference_answer'])}"
        )
    if not isinstance(item.get("note", ""), str):
        raise fail(f"field note must be a string, got {_type_name(item['note'])}")
    if not isinstance(item["answerable"], bool):
        raise fail(f"field answerable must be true or false, got {_type_name(item['answerable'])}")
    history = _string_list(item, "history", fail)
    sources = _string_list(item, "expected_sources", fail)
    facts = _fact_groups(item["facts"], fail)
    premise = _premise(item, fail)
    if premise:
        _check_false_premise(item["answerable"], facts, sources, fail)
    else:
        _check_answerability(item["answerable"], facts, sources, fail)
    return EvalQuestion(
        id=item["id"],
        category=item["category"],
        question=item["question"],
        history=history,
        reference_answer=item["reference_answer"],
        facts=facts,
        expected_sources=sources,
        answerable=item["answerable"],
        note=item.get("note", ""),
        line=number,
        premise=premise,
    )


def _require_text(item: dict[str, Any], field: str, fail: Fail) -> None:
    value = item[field]
    if not isinstance(value, str):
        raise fail(f"field {field} must be a string, got {_type_name(value)}")
    if not value.strip():
        raise fail(f"field {field} must not be empty")


def _string_list(item: dict[str, Any], field: str, fail: Fail) -> tuple[str, ...]:
    value = item[field]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(f"field {field} must be a list of non-empty strings, got {_describe(value)}")
    return tuple(value)


def _fact_groups(value: Any, fail: Fail, field: str = "facts") -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise fail(f"field {field} must be a list of lists of regexes, got {_type_name(value)}")
    groups: list[tuple[str, ...]] = []
    for i, group in enumerate(value):
        if not isinstance(group, list) or not group:
            raise fail(f"{field}[{i}] must be a non-empty list of regexes, got {_describe(group)}")
        for j, pattern in enumerate(group):
            if not isinstance(pattern, str) or not pattern:
                raise fail(
                    f"{field}[{i}][{j}] must be a non-empty string, got {_describe(pattern)}"
                )
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise fail(f"{field}[{i}][{j}] {pattern!r} is not a valid regex: {exc}") from None
        groups.append(tuple(group))
    return tuple(groups)


def _premise(item: dict[str, Any], fail: Fail) -> tuple[tuple[str, ...], ...]:
    """The premise regexes: required on a false-premise item, refused on any other."""
    is_false_premise = item["category"] == FALSE_PREMISE
    if "premise" not in item:
        if is_false_premise:
            raise fail(f"a {FALSE_PREMISE} question needs a premise: regexes that mark it asserted")
        return ()
    if not is_false_premise:
        # A premise anywhere else would be scored nowhere: the premise check is per category.
        raise fail(f"field premise is only for {FALSE_PREMISE} questions, not {item['category']}")
    premise = _fact_groups(item["premise"], fail, "premise")
    if not premise:
        raise fail("field premise must hold at least one group of regexes")
    return premise


def _check_answerability(
    answerable: bool, facts: Sequence[Sequence[str]], sources: Sequence[str], fail: Fail
) -> None:
    if answerable and not facts:
        raise fail("answerable question has no facts, so its answer could never be scored")
    if answerable and not sources:
        raise fail("answerable question has no expected_sources, so recall is undefined")
    if not answerable and (facts or sources):
        # A declined answer is the only correct one; facts or sources here signal a mix-up.
        raise fail("unanswerable question must have empty facts and expected_sources")


def _check_false_premise(
    answerable: bool, facts: Sequence[Sequence[str]], sources: Sequence[str], fail: Fail
) -> None:
    if answerable or facts:
        # Nothing answers a false premise as asked: declining or correcting is the right answer.
        raise fail(f"a {FALSE_PREMISE} question must have answerable false and empty facts")
    if not sources:
        raise fail(
            f"a {FALSE_PREMISE} question needs expected_sources: the articles that show what is "
            "true, which a correction cites"
        )


def _read_meta(path: Path) -> tuple[str, str]:
    meta = meta_path(path)
    if not meta.exists():
        return path.stem, "unversioned"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(meta, exc.lineno, f"not valid JSON ({exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(meta, None, f"cannot be read ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        raise DatasetError(meta, None, 'must be a JSON object with a "version" string')
    name = data.get("name")
    return (name if isinstance(name, str) and name else path.stem), data["version"]


def select(
    question_set: QuestionSet,
    ids: Sequence[str] = (),
    categories: Sequence[str] = (),
    limit: int | None = None,
    half: str | None = None,
) -> list[EvalQuestion]:
    """The questions to run, in file order; unknown ids or categories are an error, not a no-op.
    `half` (`dev` or `test`) keeps only that half; the limit applies after it."""
    if half is not None and half not in HALVES:
        raise InvalidInput(f"unknown half {half!r}; known: {', '.join(HALVES)}")
    known_ids = {q.id for q in question_set.questions}
    unknown_ids = [i for i in ids if i not in known_ids]
    if unknown_ids:
        raise InvalidInput(
            f"unknown question id(s): {', '.join(unknown_ids)} in {question_set.path}"
        )
    unknown_categories = [c for c in categories if c not in question_set.categories]
    if unknown_categories:
        raise InvalidInput(
            f"unknown categor(y/ies): {', '.join(unknown_categories)}; "
            f"known: {', '.join(question_set.categories)}"
        )
    chosen = [
        q
        for q in question_set.questions
        if (not ids or q.id in ids)
        and (not categories or q.category in categories)
        and (half is None or q.half == half)
    ]
    return chosen[:limit] if limit is not None else chosen


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
