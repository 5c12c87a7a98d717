"""Prompt templates live in `prompts/*.j2`; a missing variable fails loudly."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from rag.text.dates import format_day


class Prompts:
    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise FileNotFoundError(f"prompt folder {folder} not found")
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain-text prompts, never rendered as HTML
            trim_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters["day"] = _day

    def render(self, name: str, **variables: Any) -> str:
        return self._template(name).render(**variables).strip()

    @cache  # noqa: B019 - one Prompts per process; templates are immutable files
    def _template(self, name: str) -> jinja2.Template:
        return self._env.get_template(f"{name}.j2")


def _day(value: date | None) -> str:
    return format_day(value) if value else "undated"
