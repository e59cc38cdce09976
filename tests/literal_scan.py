"""The scan behind the contract-literal tests (test_contract_literals.py for the results record,
test_manifest_literals.py for the bundle manifest): where a contract's field name is spelled as a
string literal in the repository's own source.

Every non-test .py file is parsed (ast). A field name counts where it is a whole string literal,
a keyword of `dict(...)` / `.update(...)` (a dict key in disguise), or a placeholder of a
`"...{field}...".format(...)` string. Docstrings and messages may name a field in prose; only a
whole literal equal to the name counts.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
# Not source of the project: virtual environments, build output, the tests themselves.
SKIPPED_DIRS = {".venv", ".git", "tests", "build", "dist", "runs", "__pycache__", "node_modules"}
COMPONENTS = ("harness/", "core/", "search/", "merge/", "fer_edge/", "benchmarks/")


def named(record: type) -> set[str]:
    """The field names a schema class spells (its upper-case attributes, inherited ones too)."""
    return {getattr(record, attr) for attr in dir(record)
            if attr.isupper() and isinstance(getattr(record, attr), str)}


def schema_names(module: ModuleType) -> set[str]:
    """Every field name a schema module's record classes spell."""
    return set().union(*(named(record) for record in vars(module).values()
                         if isinstance(record, type)))


def source_files(root: Path = ROOT) -> list[Path]:
    """Every .py of the repository but tests, virtual environments and build output."""
    return sorted(p for p in root.rglob("*.py")
                  if not SKIPPED_DIRS.intersection(p.relative_to(root).parts[:-1])
                  and not any(part.endswith(".egg-info") for part in p.parts))


def relative_sources(root: Path = ROOT) -> set[str]:
    return {p.relative_to(root).as_posix() for p in source_files(root)}


def _placeholders(text: str) -> set[str]:
    """The field names of a str.format template (`{model_id}`, `{reason!r}`)."""
    try:
        return {re.split(r"[.\[]", name)[0] for _, name, _, _ in string.Formatter().parse(text)
                if name}
    except ValueError:
        return set()


def _not_keys(tree: ast.AST) -> set[int]:
    """ids of string constants that cannot be a dict key: the text pieces of an f-string
    (f"stage{n}") and the names of `__all__` (Python objects)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(part) for part in node.values if isinstance(part, ast.Constant))
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            skipped.update(id(n) for n in ast.walk(node.value) if isinstance(n, ast.Constant))
    return skipped


def spelled_keys(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, word) of each string literal, dict()/update() keyword and format placeholder."""
    found = []
    not_keys = _not_keys(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in not_keys:
                found.append((node.lineno, node.value))
        elif isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == "dict") or (
                    isinstance(func, ast.Attribute) and func.attr == "update"):
                found += [(node.lineno, k.arg) for k in node.keywords if k.arg]
            if (isinstance(func, ast.Attribute) and func.attr == "format"
                    and isinstance(func.value, ast.Constant)
                    and isinstance(func.value.value, str)):
                found += [(node.lineno, name) for name in _placeholders(func.value.value)]
    return found


def words_in(relative: str, root: Path = ROOT) -> set[str]:
    """Every word a file spells as a key (spelled_keys)."""
    path = root / relative
    return {word for _, word in spelled_keys(ast.parse(path.read_text(encoding="utf-8"),
                                                       filename=relative))}


def stray_literals(names: Iterable[str], schema_module: str,
                   allowed: Mapping[str, Iterable[str]], root: Path = ROOT) -> list[str]:
    """`path:line: word` of each of `names` spelled outside `schema_module`, but the words
    `allowed[path]` in that file."""
    names = set(names)
    stray = []
    for path in source_files(root):
        relative = path.relative_to(root).as_posix()
        if relative == schema_module:
            continue
        exempt = set(allowed.get(relative, ()))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        stray += [f"{relative}:{line}: {word!r}" for line, word in sorted(spelled_keys(tree))
                  if word in names and word not in exempt]
    return stray


def scan_gaps(schema_module: str, names: Iterable[str], root: Path = ROOT) -> list[str]:
    """What the scan would miss: the schema module or a component not read, a test or venv file
    read, a field name the schema module does not spell as the scan sees it."""
    files = relative_sources(root)
    gaps = [f"{schema_module} not scanned"] if schema_module not in files else []
    gaps += [f"no file of {c} scanned" for c in COMPONENTS
             if not any(f.startswith(c) for f in files)]
    gaps += [f"{f} scanned" for f in files if f.startswith("tests/") or "/.venv/" in f]
    missing = set(names) - words_in(schema_module, root)
    return gaps + ([f"{schema_module} does not spell {sorted(missing)}"] if missing else [])


def unused_exceptions(exceptions: Mapping[str, Iterable[str]], names: Iterable[str],
                      root: Path = ROOT) -> list[str]:
    """Exceptions that no longer hold: a word that is no field name, or one its file no longer
    spells (dropped, not kept as a hole)."""
    names = set(names)
    problems = []
    for relative, words in exceptions.items():
        words = set(words)
        if not words <= names:
            problems.append(f"{relative}: {sorted(words - names)} are no field names")
        unused = words - words_in(relative, root)
        if unused:
            problems.append(f"{relative}: {sorted(unused)} no longer used")
    return problems
