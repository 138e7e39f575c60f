"""The packages' arrows (DESIGN section 1): settings -> huawei/ (the wire) -> services/
(declarative) -> exposition/ (page to bytes) -> web/; developer tools apart. Read from the
import statements of every module, so a new upward import fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "exporter"

# package (or module) -> what of the exporter it may import, besides itself
ALLOWED: dict[str, set[str]] = {
    "huawei": set(),
    "metrics": set(),
    "services": {"huawei", "metrics", "settings"},
    "exposition": {"huawei", "metrics", "catalog", "process", "telemetry", "log"},
    "waves": {"exposition", "huawei", "metrics", "services", "settings", "telemetry"},
    "web": {"exposition", "metrics", "catalog", "telemetry", "settings", "log", "build", "process"},
}
ROOT = {"__version__"}  # the package itself: its version


def _absolute(path: Path, node: ast.ImportFrom) -> str | None:
    """The module an import names, relative ones resolved from the file's package."""
    if node.level == 0:
        return node.module
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    if node.level > 1:
        package = package[: -(node.level - 1)]
    return ".".join([*package, *([node.module] if node.module else [])])


def imports(path: Path) -> set[str]:
    """The first part of every `exporter.X` a module imports (X a package or module),
    relative imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (module := _absolute(path, node)):
            parts = module.split(".")
            if parts[0] != "exporter":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from exporter import x
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "exporter" and len(parts) > 1:
                    found.add(parts[1])
    return found


def modules(package: str) -> list[Path]:
    found = sorted((PACKAGE / package).rglob("*.py"))
    assert found, f"exporter/{package} holds no module: the rules name a package that is gone"
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_is_below_it(package: str) -> None:
    for path in modules(package):
        upward = imports(path) - ALLOWED[package] - {package} - ROOT
        assert not upward, f"{path.relative_to(PACKAGE)} imports exporter.{sorted(upward)}"


def test_the_running_exporter_never_imports_the_developer_tools() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "devtools" not in path.relative_to(PACKAGE).parts:
            assert "devtools" not in imports(path), path.relative_to(PACKAGE)


def test_the_reader_sees_every_form_of_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from exporter.exposition.turns import turn\nimport exporter.web.server\n"
        "from exporter import catalog\nimport json\n"
    )
    assert imports(probe) == {"exposition", "web", "catalog"}


def test_a_relative_import_is_resolved_from_the_package(tmp_path: Path) -> None:
    """`from ..web import server` inside exposition/ is an import of exporter.web."""
    inside = PACKAGE / "exposition" / "_probe.py"
    tree = ast.parse("from ..web import server\nfrom . import turns\nfrom .. import catalog\n")
    nodes = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    assert [_absolute(inside, node) for node in nodes] == [
        "exporter.web",
        "exporter.exposition",
        "exporter",
    ]
