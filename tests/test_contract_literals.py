"""Each field name of the results record is spelled in one module, results_schema.py.

Every non-test .py file of the repository is parsed (ast, literal_scan.py). Outside
harness/fer_edge_harness/results_schema.py, none may hold a results field name as a string
literal, as a keyword of `dict(...)` / `.update(...)` (a dict key in disguise), or as a
placeholder of a `"...{field}...".format(...)` string: each writer and reader spells the key
through results_schema's names (Extra, TimingSettings, Flag, RunInfo, Event, PowerRecord), so
renaming a field is one edit there. Docstrings and messages may name a field in prose; only a
whole literal equal to the name counts.

A few names are also other records' keys or plain words in unrelated code. Those exceptions are
listed below with the reason, as narrowly as they can be: a word skipped everywhere
(GENERIC_WORDS), or a word allowed in one file only (OTHER_MEANINGS). A name the bundle
manifest uses too (bundle_sha256, backend, ...) is the manifest's own field in
manifest_schema.py, the manifest's one module, and may be spelled there
(test_manifest_literals.py checks the manifest's names the same way).
"""

from __future__ import annotations

import ast

import pytest
from literal_scan import (
    named,
    scan_gaps,
    schema_names,
    spelled_keys,
    stray_literals,
    unused_exceptions,
)

from fer_edge_harness import manifest_schema, results, results_schema
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

SCHEMA_MODULE = "harness/fer_edge_harness/results_schema.py"
MANIFEST_SCHEMA_MODULE = "harness/fer_edge_harness/manifest_schema.py"
RECORDS = (Extra, TimingSettings, Flag, RunInfo, Event, PowerRecord)

# Words skipped everywhere: each is also the key or value of many unrelated records, so a
# literal of it says nothing about the results record. Where the word IS the results field
# the code still spells it through results_schema.
GENERIC_WORDS = {
    "schema_version": "every versioned file has one: the bundle manifest, the trial store, "
                      "the demo record, merge.json, the Ray records",
    "status": "a search trial's, a Ray trial's and a bundle artifact's status too",
    "reason": "a lifeline's, a Ray trial's and a bundle artifact's reason too",
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
    "merge/fer_edge_merge/tables.py": {"skipped": "a kind of event in the failures table"},
    "search/fer_edge_search/raytune/records.py": {"threads": "a Ray trial record's key"},
    "search/fer_edge_search/raytune/trainable.py": {"threads": "a Ray trial record's key"},
    "search/fer_edge_search/train.py": {"accuracy": "the Keras metric's name"},
}


def field_names() -> set[str]:
    """Every key of the results record, as results_schema names it."""
    return set().union(*(named(record) for record in RECORDS))


def allowed_words() -> dict[str, set[str]]:
    """Per file, the results field names it may spell: OTHER_MEANINGS, and in the manifest's
    schema module the names both contracts use (there they are the manifest's fields)."""
    allowed = {path: set(words) for path, words in OTHER_MEANINGS.items()}
    allowed[MANIFEST_SCHEMA_MODULE] = field_names() & schema_names(manifest_schema)
    return allowed


def test_results_field_names_are_spelled_only_in_results_schema():
    stray = stray_literals(field_names() - set(GENERIC_WORDS), SCHEMA_MODULE, allowed_words())
    assert not stray, ("results field names spelled outside " + SCHEMA_MODULE + " (use "
                       "results_schema.Extra / RunInfo / Event / Flag / PowerRecord):\n"
                       + "\n".join(stray))


def test_the_scan_sees_the_schema_module_and_every_component():
    """Guards the guard: it reads the schema's own literals and every component's source."""
    assert not scan_gaps(SCHEMA_MODULE, field_names())


def test_the_exceptions_are_still_needed():
    """An exception whose word no longer occurs in its file is dropped, not kept as a hole."""
    assert set(GENERIC_WORDS) <= field_names()
    assert not unused_exceptions(OTHER_MEANINGS, field_names())


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
    assert set(info) <= named(RunInfo)
    assert set(power) <= named(PowerRecord)
    assert set(info[RunInfo.POWER]) <= named(PowerRecord)
    assert set(results.power_fields(power)) == set(results_schema.POWER_EXTRA_INFO)
    every_extra = (results_schema.REQUIRED_EXTRA_INFO + results_schema.OPTIONAL_EXTRA_INFO
                   + results_schema.TIMING_EXTRA_INFO + results_schema.DESCRIPTIVE_EXTRA_INFO)
    assert set(every_extra) == named(Extra)


def test_the_merge_schemas_spell_results_fields_by_their_names():
    """merge/schemas.py's pydantic models name fields as identifiers (they cannot import a
    name); each must still be the results field (or ranking column) it checks, so a rename in
    results_schema fails here and points at the model to follow it."""
    from fer_edge_merge import ranking, schemas

    for model, names in ((schemas.ExtraInfo, named(Extra)), (schemas.BoardEvent, named(Event)),
                         (schemas.RunInfo, named(RunInfo)),
                         (schemas.FailuresFile, named(RunInfo)),
                         (schemas.RankingRow, set(ranking.ROW_FIELDS))):
        assert set(model.model_fields) <= names, model.__name__
    assert results_schema.RUN_INFO_KEY in schemas.ResultsDocument.model_fields
