"""The layout's rules that no linter checks (docs/architecture.md): reads in pods.selectors, writes in the
services, and tests that share code through helper modules, never through another test module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The layers that must reach the database only through pods.selectors (reads) and pods.ingest (writes).
THIN = ["pods/api", "pods/web", "pods/live", "pods/watch", "pods/tasks.py"]


def _modules(*places: str) -> list[Path]:
    found: list[Path] = []
    for place in places:
        path = ROOT / place
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


def _orm_calls(path: Path) -> list[str]:
    """`X.objects`, `X._default_manager` and `connection.cursor()` in a module, as `file:line`."""
    hits = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in {"objects", "_default_manager", "cursor"}:
            hits.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    return hits


def test_views_the_api_the_live_layer_and_the_watcher_use_no_orm_of_their_own():
    hits = [hit for path in _modules(*THIN) for hit in _orm_calls(path)]
    assert hits == [], "query through pods.selectors, write through pods.ingest"


def _imports(text: str, path: Path) -> set[str]:
    """The modules (and `module.name`s) the source `text` of the module at `path` imports, absolute."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.ImportFrom):
            base = (
                ".".join([*parts[: len(parts) - node.level + 1], node.module or ""])
                if node.level
                else node.module
            )
            names.add(base or "")
            names |= {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def _test_modules_imported(text: str, path: Path) -> list[str]:
    return sorted(
        name
        for name in _imports(text, path)
        if name.startswith("tests.") and name.split(".")[-1].startswith("test_")
    )


def test_no_test_module_imports_another():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "tests").rglob("test_*.py"))
        for name in _test_modules_imported(path.read_text(), path)
    ]
    assert offenders == [], "share test code through a helper module (tests/builders.py and the like)"


def test_the_import_check_sees_relative_and_absolute_spellings():
    text = "from .test_scenarios import run\nfrom tests.unit.test_waterfall import at\n"
    text += "from tests import builders\n"
    found = _test_modules_imported(text, ROOT / "tests" / "kubesim" / "test_probe.py")
    assert "tests.kubesim.test_scenarios" in found
    assert "tests.unit.test_waterfall" in found
    assert not [name for name in found if "builders" in name]
