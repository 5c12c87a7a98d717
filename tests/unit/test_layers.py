"""The core library depends on none of its adapters: `rag` never imports `api` or `eval`.

Read from the source (every import statement, lazy ones inside functions included), so an
import that only runs on one code path is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

ADAPTERS = ("api", "eval", "bench", "tests")


def imported_modules(source: Path) -> list[tuple[int, str]]:
    """(line, module) for each absolute import in a file; relative imports stay in `rag`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def imports_of(package: Path, names: tuple[str, ...]) -> list[str]:
    """`path:line: module` for each import in the package of a module under one of `names`."""
    return [
        f"{path.relative_to(package.parent)}:{line}: {module}"
        for path in sorted(package.rglob("*.py"))
        for line, module in imported_modules(path)
        if module.split(".")[0] in names
    ]


def test_the_library_imports_no_adapter() -> None:
    assert imports_of(ROOT / "rag", ADAPTERS) == []


def test_the_eval_runner_does_not_import_the_api() -> None:
    # The CLI (in api/) starts the eval runner, so the other way round would be a circle.
    assert imports_of(ROOT / "eval", ("api",)) == []


def test_the_check_sees_lazy_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("def serve():\n    from api.app import serve_app\n")
    assert imports_of(package, ADAPTERS) == ["pkg/mod.py:2: api.app"]
