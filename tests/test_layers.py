"""Imports run one way, lowest layer first (docs/architecture.md): a test walks every import and fails
on an edge against the order, and on the Scrapy side nothing light loads the index or warcio."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("archive", "crawler", "migrations")

# (module prefix, rank, group), most specific prefix first. A module may import a module of a lower
# rank, or of its own group; siblings of one rank (the crawl session and the readers; the capture
# extension, the middleware and the spiders) do not import one another.
LAYERS: tuple[tuple[str, int, str], ...] = (
    ("archive.errors", 0, "core"),
    ("archive.urls", 0, "core"),
    ("archive.layout", 0, "core"),
    ("archive.terminal", 0, "core"),
    ("archive.content_encoding", 0, "core"),
    ("archive.machine_errors", 0, "core"),
    ("archive.warc", 1, "warc"),
    ("archive.index", 2, "index"),
    ("migrations", 2, "index"),
    ("archive.session", 3, "session"),
    ("archive.readers", 3, "readers"),
    ("archive.replay", 4, "replay"),
    ("crawler.extension", 6, "extension"),
    ("crawler.middleware", 6, "middleware"),
    ("crawler.spiders", 6, "spiders"),
    ("crawler.progress", 6, "progress"),
    ("crawler.decoding", 6, "decoding"),
    ("crawler.retry_after", 6, "retry_after"),
    ("crawler.frontier", 6, "frontier"),
    ("crawler.run", 7, "run"),
    ("crawler", 5, "crawler"),  # config, settings, sites, extract, items, parsed, scope, traps, robots_meta
    ("archive.cli", 8, "cli"),
    ("archive", 0, "core"),  # the package itself
)


def layer_of(module: str) -> tuple[int, str]:
    for prefix, rank, group in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return rank, group
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS and docs/architecture.md")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, module: str) -> list[tuple[str, int]]:
    """Every project module `path` imports (at any depth, typing-only imports included), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from archive.index import database` imports the submodule
            names = [f"{target}.{alias.name}" for alias in node.names] if target in PACKAGES or _is_package(target) else [target]
        else:
            continue
        found += [(name, node.lineno) for name in names if name.split(".")[0] in PACKAGES]
    return found


def _is_package(module: str) -> bool:
    return (REPO / Path(*module.split(".")) / "__init__.py").is_file()


def _sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (REPO / package).rglob("*.py"))


def test_imports_follow_the_layer_order() -> None:
    wrong = []
    for path in _sources():
        importer = module_name(path)
        rank, group = layer_of(importer)
        for imported, line in imported_modules(path, importer):
            if not (REPO / Path(*imported.split("."))).with_suffix(".py").exists() and not _is_package(imported):
                imported = imported.rpartition(".")[0]  # `from module import name`
            their_rank, their_group = layer_of(imported)
            if their_group != group and their_rank >= rank:
                wrong.append(f"{path.relative_to(REPO)}:{line}: {importer} ({group}) imports {imported} ({their_group})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_the_walk_sees_an_edge_against_the_order(tmp_path: Path) -> None:
    """The check above would fail on an upward import: the walk finds imports in functions too."""
    source = tmp_path / "show.py"
    source.write_text("def f():\n    from crawler.sites import load_profile\n", encoding="utf-8")
    imported = [name for name, _ in imported_modules(source, "archive.readers.show")]
    assert imported == ["crawler.sites.load_profile"]
    assert layer_of("crawler.sites")[0] > layer_of("archive.readers.show")[0]


@pytest.mark.parametrize("module", ["crawler.spiders.news", "crawler.extract", "crawler.items", "crawler.settings"])
def test_the_spider_and_the_extraction_load_neither_the_index_nor_warcio(module: str) -> None:
    heavy = ("sqlalchemy", "alembic", "warcio")
    done = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; print([m for m in {heavy!r} if m in sys.modules])"],
        capture_output=True, text=True, cwd=REPO, check=True,
    )
    assert done.stdout.strip() == "[]", f"importing {module} loads {done.stdout.strip()}"


def test_test_modules_share_helpers_not_each_other() -> None:
    """Shared test code lives in tests/helpers.py; a test module importing another runs its tests twice."""
    wrong = []
    for path in sorted((REPO / "tests").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(("tests.test_", "tests.conftest")):
                wrong.append(f"{path.name}:{node.lineno}: {node.module}")
    assert not wrong, wrong
