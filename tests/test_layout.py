"""The layout's promises (issue "one component per folder"): each package lives at the path its
import name suggests, and imports run one way: CLI -> demo pipeline -> search / merge -> core ->
harness. A change that makes search import the CLI, or the harness import the host, fails here.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# component folder -> its one top-level package
COMPONENTS = {
    ".": "fer_edge",
    "core": "fer_edge_core",
    "search": "fer_edge_search",
    "merge": "fer_edge_merge",
    "harness": "fer_edge_harness",
}
PROJECT_PACKAGES = set(COMPONENTS.values())

# What each package may import from the project (its own modules always).
ALLOWED = {
    "fer_edge_harness": set(),
    "fer_edge_core": {"fer_edge_harness"},
    "fer_edge_search": {"fer_edge_core", "fer_edge_harness"},
    "fer_edge_merge": {"fer_edge_core", "fer_edge_harness"},
    "fer_edge": {"fer_edge_search", "fer_edge_merge", "fer_edge_core", "fer_edge_harness"},
}
# Module names written as strings (lazy registries: "fer_edge_search.datasets.synthetic:load").
_DOTTED_NAME = re.compile(r"^(fer_edge\w*)(\.[\w.]+)?(:\w+)?$")


def tracked_python_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [ROOT / name for name in out]


def package_of(path: Path) -> str | None:
    """The project package a file belongs to (None for tests, benchmarks, scripts)."""
    relative = path.relative_to(ROOT).parts
    for folder, package in COMPONENTS.items():
        prefix = () if folder == "." else (folder,)
        if relative[: len(prefix) + 1] == (*prefix, package):
            return package
    return None


def imported_modules(path: Path) -> set[str]:
    """Every dotted module name the file imports, statically or by name in a string."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _DOTTED_NAME.match(node.value)
            if match and match.group(1) in PROJECT_PACKAGES and (match.group(2)
                                                                 or match.group(3)):
                names.add(match.group(1) + (match.group(2) or ""))
    return names


def test_every_package_sits_where_its_import_name_says():
    """Each __init__.py is inside <component>/<its package>/ (fer_edge at the root): nothing is
    mapped under another name by package-dir tricks."""
    for path in tracked_python_files():
        if path.name != "__init__.py" or path.relative_to(ROOT).parts[0] in ("tests",):
            continue
        assert package_of(path) is not None, f"{path.relative_to(ROOT)} is outside the layout"
    for folder, package in COMPONENTS.items():
        assert (ROOT / folder / package / "__init__.py").is_file(), f"{folder}/{package}"
        if folder != ".":
            installable = [ROOT / folder / name for name in ("pyproject.toml", "setup.py")]
            assert any(p.is_file() for p in installable), f"{folder} is not installable"


def test_imports_run_one_way():
    """No package imports one that sits above it (the harness imports nothing of the host)."""
    wrong = []
    for path in tracked_python_files():
        package = package_of(path)
        if package is None:
            continue
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in PROJECT_PACKAGES and top != package and top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_pipeline_and_components_never_import_the_command_line():
    """The demo pipeline and the components are libraries: only the CLI imports commands."""
    wrong = []
    for path in tracked_python_files():
        relative = path.relative_to(ROOT).as_posix()
        if package_of(path) is None or relative.startswith(("fer_edge/commands/", "fer_edge/cli")):
            continue
        for module in imported_modules(path):
            if module.startswith(("fer_edge.commands", "fer_edge.cli")):
                wrong.append(f"{relative} imports {module}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("text,expected", [
    ("from fer_edge.cli import app\n", {"fer_edge.cli"}),
    ('TABLE = {"x": "fer_edge_search.datasets.synthetic:load"}\n',
     {"fer_edge_search.datasets.synthetic"}),
    ('NAME = "fer_edge_core"\n', set()),
])
def test_the_import_scanner_sees_static_and_string_imports(tmp_path, text, expected):
    """The checks above are only as good as the scanner: it must see both kinds of import."""
    path = tmp_path / "m.py"
    path.write_text(text)
    assert imported_modules(path) == expected
