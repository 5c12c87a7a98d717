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


# --- layers inside `rag` ---------------------------------------------------------------------

# Lower layers never import higher ones: language analysis knows nothing of articles, the parts
# (documents, store, retrieval, models, shared state) nothing of answering, answering nothing
# of the service that runs it, and only the factory knows every implementation.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("rag.text",),
    ("rag.types", "rag.errors", "rag.settings", "rag.cancellation", "rag.command", "rag.disk"),
    (
        "rag.documents",
        "rag.store",
        "rag.retrieval",
        "rag.llm",
        "rag.embeddings",
        "rag.state",
        "rag.ingest",
        "rag.archive",
        "rag.presenters",
        "rag.testing",
    ),
    ("rag.answer",),
    ("rag.service",),
    ("rag.factory",),
)


def layer_of(module: str) -> int | None:
    for level, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    return None


def rag_modules() -> dict[str, Path]:
    package = ROOT / "rag"
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def test_every_rag_module_has_a_layer() -> None:
    assert [m for m in rag_modules() if m != "rag" and layer_of(m) is None] == []


def test_no_rag_module_imports_a_higher_layer() -> None:
    upward = []
    for name, path in rag_modules().items():
        mine = layer_of(name)
        if mine is None:
            continue
        for line, module in imported_modules(path):
            theirs = layer_of(module)
            if theirs is not None and theirs > mine:
                upward.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert upward == []


def test_rag_text_imports_nothing_else_of_rag() -> None:
    outside = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for name, path in rag_modules().items()
        if name.startswith("rag.text")
        for line, module in imported_modules(path)
        if module.startswith("rag.") and not module.startswith("rag.text")
    ]
    assert outside == []


def test_the_packages_of_rag_import_each_other_in_no_circle() -> None:
    """Package-level (rag.answer, rag.retrieval, ...): a circle between two rooms means
    neither can be understood, or replaced, without the other."""
    modules = rag_modules()

    def room(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 1 else module

    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        for _, module in imported_modules(path):
            if module.startswith("rag.") and room(module) != room(name):
                edges.setdefault(room(name), set()).add(room(module))
    circles = []
    for start in edges:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    circles.append(" -> ".join([*trail, start]))
                elif nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
    assert circles == []
