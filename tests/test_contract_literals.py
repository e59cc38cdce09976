"""Each field name of the results record is spelled in one module, results_schema.py.

Every non-test .py file of the repository is parsed (ast). Outside
harness/fer_edge_harness/results_schema.py, none may hold a results field name as a string
literal, as a keyword of `dict(...)` / `.update(...)` (a dict key in disguise), or as a
placeholder of a `"...{field}...".format(...)` string: each writer and reader spells the key
through results_schema's names (Extra, TimingSettings, Flag, RunInfo, Event, PowerRecord), so
renaming a field is one edit there. Docstrings and messages may name a field in prose; only a
whole literal equal to the name counts.

A few names are also other records' keys or plain words in unrelated code. Those exceptions are
listed below with the reason, as narrowly as they can be: a word skipped everywhere
(GENERIC_WORDS), or a word allowed in one file only (OTHER_MEANINGS).
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from fer_edge_harness import results, results_schema
from fer_edge_harness.power import PowerSettings, PowerStage
from fer_edge_harness.results_schema import (
    Event,
    Extra,
    Flag,
    PowerRecord,
    RunInfo,
    TimingSettings,
)
from fer_edge_harness.session import Case
from fer_edge_harness.settings import RunSettings

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_MODULE = "harness/fer_edge_harness/results_schema.py"
RECORDS = (Extra, TimingSettings, Flag, RunInfo, Event, PowerRecord)
# Not source of the project: virtual environments, build output, the tests themselves.
SKIPPED_DIRS = {".venv", ".git", "tests", "build", "dist", "runs", "__pycache__", "node_modules"}

# Words skipped everywhere: each is also the key or value of many unrelated records, so a
# literal of it says nothing about the results record. Where the word IS the results field
# the code still spells it through results_schema.
GENERIC_WORDS = {
    "schema_version": "every versioned file has one: the bundle manifest, the trial store, "
                      "the demo record, merge.json, the Ray records",
    "status": "a bundle artifact's, a search trial's and a Ray trial's status too",
    "reason": "a bundle artifact's, a lifeline's and an export step's reason too",
    "bundle_sha256": "also the bundle manifest's own field (manifest, parent, verify, select); "
                     "the manifest's names get their own module separately",
}

# Words allowed in one file, where they mean something else than the results field.
OTHER_MEANINGS = {
    "benchmarks/fidelity.py": {
        name: "a column header of the fidelity table" for name in ("backend", "threads")},
    "benchmarks/fidelity_parse.py": {
        "threads": "a column header of the fidelity table",
        "precision": "a column header of the fidelity table",
        "rounds": "pytest-benchmark's own stats key"},
    "benchmarks/recipe_ablation.py": {
        "n_test": "the ablation's own record of its split sizes (n_train, n_val, n_test)"},
    "fer_edge/cli.py": {
        "power": "the `fer-edge power` command's name",
        "interrupted": "the one-word error line on Ctrl-C"},
    "fer_edge/commands/power.py": {"power": "the `fer-edge power` command's name"},
    "fer_edge/pipeline/console.py": {"stage": "a column header of the demo's time table"},
    "fer_edge/pipeline/options.py": {
        name: "a DemoOptions field / command-line option name"
        for name in ("backends", "rounds", "warmup_rounds", "min_time_s", "max_warmup_s",
                     "power_seconds")},
    "harness/fer_edge_harness/backends/tensorrt.py": {
        "precision": "reads the TensorRT engine cache's facts file"},
    "harness/fer_edge_harness/backends/tensorrt_engine.py": {
        name: "a key of the TensorRT engine cache's facts file"
        for name in ("model_id", "precision")},
    "harness/fer_edge_harness/measure.py": {
        name: "the name of a step whose error a failure reports (`power failed: ...`)"
        for name in ("accuracy", "power")},
    "harness/fer_edge_harness/probe.py": {
        "sensor": "a key of `fer-edge power probe`'s summary, not of a result"},
    "harness/fer_edge_harness/sensors/tegrastats.py": {
        "power": "a word of the sensor's error message"},
    "harness/fer_edge_harness/sensors/umrecord.py": {
        "model_id": "the UM34C meter's own record field (its model number)"},
    "merge/fer_edge_merge/fitness.py": {
        "accuracy": "the name of the accuracy fitness (fit_accuracy, rank_accuracy)"},
    "merge/fer_edge_merge/load.py": {"rounds": "pytest-benchmark's own stats key"},
    "merge/fer_edge_merge/ranking.py": {
        name: "a column header of ranking.md" for name in ("backend", "flags")},
    "merge/fer_edge_merge/select.py": {
        name: "a key of the manifest's selection record (the manifest's contract)"
        for name in ("device_label", "backend")},
    "merge/fer_edge_merge/tables.py": {"skipped": "a kind of event in the failures table"},
    "search/fer_edge_search/export/check.py": {
        name: "a key of a bundle artifact's check record (the manifest's contract)"
        for name in ("backend", "precision", "threads", "runtime_versions")},
    "search/fer_edge_search/raytune/records.py": {"threads": "a Ray trial record's key"},
    "search/fer_edge_search/raytune/trainable.py": {"threads": "a Ray trial record's key"},
    "search/fer_edge_search/train.py": {"accuracy": "the Keras metric's name"},
}


def _named(record: type) -> set[str]:
    return {value for attr, value in vars(record).items() if attr.isupper()}


def field_names() -> set[str]:
    """Every key of the results record, as results_schema names it."""
    return set().union(*(_named(record) for record in RECORDS))


def source_files(root: Path) -> list[Path]:
    """Every .py of the repository but tests, virtual environments and build output."""
    return sorted(p for p in root.rglob("*.py")
                  if not SKIPPED_DIRS.intersection(p.relative_to(root).parts[:-1])
                  and not any(part.endswith(".egg-info") for part in p.parts))


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


def stray_literals(root: Path) -> list[str]:
    """`path:line: word` of each results field name spelled outside results_schema.py."""
    names = field_names() - set(GENERIC_WORDS)
    stray = []
    for path in source_files(root):
        relative = path.relative_to(root).as_posix()
        if relative == SCHEMA_MODULE:
            continue
        allowed = OTHER_MEANINGS.get(relative, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        stray += [f"{relative}:{line}: {word!r}" for line, word in sorted(spelled_keys(tree))
                  if word in names and word not in allowed]
    return stray


def test_results_field_names_are_spelled_only_in_results_schema():
    stray = stray_literals(ROOT)
    assert not stray, ("results field names spelled outside " + SCHEMA_MODULE + " (use "
                       "results_schema.Extra / RunInfo / Event / Flag / PowerRecord):\n"
                       + "\n".join(stray))


def test_the_scan_sees_the_schema_module_and_every_component():
    """Guards the guard: it reads the schema's own literals and every component's source."""
    files = {p.relative_to(ROOT).as_posix() for p in source_files(ROOT)}
    assert SCHEMA_MODULE in files
    for component in ("harness/", "core/", "search/", "merge/", "fer_edge/", "benchmarks/"):
        assert any(f.startswith(component) for f in files), component
    assert not any(f.startswith("tests/") or "/.venv/" in f for f in files)
    tree = ast.parse((ROOT / SCHEMA_MODULE).read_text(encoding="utf-8"))
    assert field_names() <= {word for _, word in spelled_keys(tree)}


def test_the_exceptions_are_still_needed():
    """An exception whose word no longer occurs in its file is dropped, not kept as a hole."""
    names = field_names()
    assert set(GENERIC_WORDS) <= names
    for relative, words in OTHER_MEANINGS.items():
        assert set(words) <= names, relative
        tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
        spelled = {word for _, word in spelled_keys(tree)}
        assert set(words) <= spelled, f"{relative}: {sorted(set(words) - spelled)} no longer used"


@pytest.mark.parametrize("source, expected", [
    ('row["model_id"]', ["model_id"]),
    ('dict(info, latency_ms=1.0)', ["latency_ms"]),
    ('info.update(flags=[])', ["flags"]),
    ('"{model_id} on {backend!r}".format(**entry)', ["model_id", "backend"]),
    ('f"{row[\'model_id\']} on {board}"', ["model_id"]),
    ('row[Extra.MODEL_ID]', []),
    ('f"stage{n}/results"', []),
    ('__all__ = ["energy_mj"]', []),
    ('"""the model_id of a row"""', []),
])
def test_the_scan_finds_each_way_a_key_is_spelled(source, expected):
    words = {word for _, word in spelled_keys(ast.parse(source))}
    assert sorted(words & field_names()) == sorted(expected)


def test_the_records_the_harness_writes_use_only_named_fields():
    """What the harness writes has no key results_schema does not name (a key added without a
    name would escape the literal check above)."""
    settings = RunSettings("/b", ["tflite"], "host-tflite", stage="power", threads=2)
    stage = PowerStage(PowerSettings())
    power = stage.measure_case(Case("m1", "tflite"), None, None, None)
    info = results.run_info(settings, "ab" * 32, [], [], True, power=stage.run_record())
    assert set(info) <= _named(RunInfo)
    assert set(power) <= _named(PowerRecord)
    assert set(info[RunInfo.POWER]) <= _named(PowerRecord)
    assert set(results.power_fields(power)) == set(results_schema.POWER_EXTRA_INFO)
    every_extra = (results_schema.REQUIRED_EXTRA_INFO + results_schema.OPTIONAL_EXTRA_INFO
                   + results_schema.TIMING_EXTRA_INFO + results_schema.DESCRIPTIVE_EXTRA_INFO)
    assert set(every_extra) == _named(Extra)


def test_the_merge_schemas_spell_results_fields_by_their_names():
    """merge/schemas.py's pydantic models name fields as identifiers (they cannot import a
    name); each must still be the results field (or ranking column) it checks, so a rename in
    results_schema fails here and points at the model to follow it."""
    from fer_edge_merge import ranking, schemas

    for model, names in ((schemas.ExtraInfo, _named(Extra)), (schemas.BoardEvent, _named(Event)),
                         (schemas.RunInfo, _named(RunInfo)),
                         (schemas.FailuresFile, _named(RunInfo)),
                         (schemas.RankingRow, set(ranking.ROW_FIELDS))):
        assert set(model.model_fields) <= names, model.__name__
    assert results_schema.RUN_INFO_KEY in schemas.ResultsDocument.model_fields
