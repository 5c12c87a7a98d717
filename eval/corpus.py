"""The corpus as ground truth: each article's text and date, read once from disk.

Citation checks look quotes and dates up here rather than in what a system reports about
itself, so the system and the baseline are judged against the same facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from eval.dataset import DatasetError, EvalQuestion
from rag.documents.loader import iter_article_paths, load_document
from rag.errors import DocumentError, InvalidInput


@dataclass(frozen=True)
class Article:
    source: str
    title: str
    text: str
    date: date | None


def load_corpus(folder: Path) -> dict[str, Article]:
    """Articles by source name (as ingest names them); unreadable files are left out."""
    if not folder.is_dir():
        raise InvalidInput(f"corpus folder {folder} not found; pass --corpus DIR")
    articles: dict[str, Article] = {}
    for file, source in iter_article_paths([folder]):
        try:
            doc = load_document(file, source)
        except DocumentError:
            continue  # ingest skips it too; a question expecting it fails the check below
        articles[source] = Article(source, doc.title, doc.text, doc.date)
    if not articles:
        raise InvalidInput(f"corpus folder {folder} holds no readable articles")
    return articles


def check_expected_sources(
    questions: Sequence[EvalQuestion], corpus: dict[str, Article], questions_path: Path
) -> None:
    """A question that expects a file the corpus lacks could only ever score 0: stop instead."""
    for q in questions:
        for source in q.expected_sources:
            if source not in corpus:
                raise DatasetError(
                    questions_path,
                    q.line,
                    f"{q.id} expects source {source!r}, which is not in the corpus",
                )
