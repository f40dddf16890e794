"""The package layout: rooms import only down the flow, other rooms only through their API,
and heavy libraries only inside the functions that need them (ARCHITECTURE.md, "Code map").

Read from the source with ``ast`` (nothing is imported), so an import inside a function or
under ``if TYPE_CHECKING:`` counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "pgvsearch"

# Lower layers never import higher ones; rooms of one layer do not import each other.
LAYERS: dict[str, int] = {
    "redact": 0, "lazy": 0, "errors": 1, "config": 2,
    "sources": 3, "chunking": 3, "embedding": 3,
    "store": 4,
    "ingest": 5, "search": 5,
    # tables: a tracked batch claims queued changes and writes their documents in one transaction
    # with ingest's writer, so it drives ingest's API from one layer up (ingest never imports it).
    "ask": 6, "evaluate": 6, "tables": 6,
    "render": 7,
    "serve": 8,
    "cli": 9, "__main__": 10,
}
FOUNDATION = {"errors", "config", "redact", "lazy"}

# Imported at the top of a module only where it is cheap or unavoidable: everything else
# waits for the function that needs it (cold queries and `--help` must stay fast).
HEAVY = {
    "torch", "sentence_transformers", "transformers", "onnx", "onnxruntime", "tokenizers", "semantic_text_splitter",
    "pypdf", "bs4", "lxml", "charset_normalizer", "docutils", "markdown_it", "psycopg", "pgvector", "rich", "tqdm", "numpy",
    "mcp", "mcp_types", "pydantic", "starlette", "uvicorn", "anyio",
}
# The MCP server's room is imported by `pgvsearch mcp` alone (the CLI imports it inside that command).
TOP_LEVEL_ALLOWED = {("embedding", "numpy"), ("cli", "typer"), ("serve", "mcp"), ("serve", "mcp_types"), ("serve", "pydantic")}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _room(dotted: list[str]) -> str | None:
    """The room of a module named ``pgvsearch.<room>[...]``; None for the package itself."""
    if len(dotted) < 2 or dotted[0] != "pgvsearch":
        return None
    return dotted[1]


def _imports(path: Path) -> list[tuple[list[str], int, bool]]:
    """(imported module as parts, line, at module top level) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _dotted(path)
    package = here if path.name == "__init__.py" else here[:-1]
    top_level = {id(node) for node in tree.body}
    found: list[tuple[list[str], int, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name.split("."), node.lineno, id(node) in top_level))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
            else:
                target = (node.module or "").split(".")
            found.append((target, node.lineno, id(node) in top_level))
            # `from . import x` and `from ..store import schema` name modules, not only values.
            for alias in node.names:
                module = PACKAGE.parent.joinpath(*target, alias.name)
                if module.with_suffix(".py").exists() or module.is_dir():
                    found.append((target + [alias.name], node.lineno, id(node) in top_level))
    return found


def test_every_room_is_known() -> None:
    rooms = {_room(_dotted(p)) for p in _modules()} - {None}
    assert rooms <= set(LAYERS), f"rooms without a layer in tests/test_layout.py: {sorted(rooms - set(LAYERS))}"


def test_imports_go_down_the_flow_and_through_each_rooms_api() -> None:
    problems = []
    for path in _modules():
        room = _room(_dotted(path))
        if room is None:
            continue  # pgvsearch/__init__.py: the public API, resolved lazily by name
        for target, line, _ in _imports(path):
            other = _room(target)
            if target[0] != "pgvsearch" or other is None or other == room:
                continue
            where = f"{path.relative_to(ROOT)}:{line} imports {'.'.join(target)}"
            if LAYERS[other] >= LAYERS[room]:
                problems.append(f"{where}: {other} (layer {LAYERS[other]}) is not below {room} (layer {LAYERS[room]})")
            elif other not in FOUNDATION and len(target) > 2 and (PACKAGE / other).is_dir():
                problems.append(f"{where}: import the {other} room through pgvsearch.{other}, not its modules")
    assert not problems, "\n".join(problems)


def test_heavy_libraries_are_imported_lazily() -> None:
    problems = []
    for path in _modules():
        room = _room(_dotted(path)) or "pgvsearch"
        for target, line, top in _imports(path):
            if top and target[0] in HEAVY and (room, target[0]) not in TOP_LEVEL_ALLOWED:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {target[0]} at module level")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("limit", [400])
def test_modules_are_readable_in_one_sitting(limit: int) -> None:
    """No module over ~400 lines (ARCHITECTURE.md): a new concern gets a file of its own."""
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in _modules() if (n := len(p.read_text().splitlines())) > limit * 1.1]
    assert not long, "\n".join(long)


def test_every_package_is_installed() -> None:
    """A folder missing from pyproject's package list works from the checkout and breaks a wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(_dotted(p)) for p in PACKAGE.rglob("__init__.py") if "__pycache__" not in p.parts}
    assert folders <= listed, f"add to pyproject.toml [tool.setuptools] packages: {sorted(folders - listed)}"


def test_sql_files_have_no_bare_percent_sign() -> None:
    """psycopg reads every '%' of a statement run with parameters as a placeholder: a "10 %" in
    a comment breaks the statement at run time. Only %(name)s, %% and format()'s %I/%L/%s; the
    create_*.sql files are DDL, run without parameters (RAISE '%', LIKE '%x%' are theirs)."""
    import re

    problems = []
    for path in sorted(p for p in (ROOT / "sql").glob("*.sql") if not p.name.startswith("create_")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            rest = re.sub(r"%\(\w+\)s|%%|%[ILs]", "", line)
            if "%" in rest:
                problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not problems, "\n".join(problems)
