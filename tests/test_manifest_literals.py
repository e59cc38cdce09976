"""Each field name of the bundle manifest is spelled in one module, manifest_schema.py.

The same scan as the results record's (literal_scan.py, test_contract_literals.py): outside
harness/fer_edge_harness/manifest_schema.py no non-test module may spell a manifest field name
as a string literal, a `dict(...)` / `.update(...)` keyword or a format placeholder. The search
export, the bundle import, `fer-edge select`, the verifier and every reader spell a key through
manifest_schema's names (Manifest, Dataset, Input, TestSet, Model, Artifact, Check, ...) and make
records with its builders, so renaming a field is one edit there.

Many manifest names are plain words (`name`, `path`, `train`) or the keys of the records a
bundle copies them from. Those exceptions are listed below with the reason, as narrowly as they
can be: a word skipped everywhere (COMMON_WORDS), the words of the search run folder's records in
the modules that read and write them (RUN_FOLDER_WORDS, RUN_FOLDER_FILES), or a word allowed in
one file only (OTHER_MEANINGS). A name the results record uses too (bundle_sha256, backend,
...) may be spelled in results_schema.py, where it is the results field.
"""

from __future__ import annotations

import json

import pytest
from literal_scan import (
    named,
    scan_gaps,
    schema_names,
    stray_literals,
    unused_exceptions,
    words_in,
)
from test_contract_literals import OTHER_MEANINGS as RESULTS_OTHER_MEANINGS

from fer_edge_harness import manifest_schema, results_schema
from fer_edge_harness.manifest_schema import (
    Artifact,
    Baseline,
    Check,
    Counts,
    Dataset,
    External,
    FileRecord,
    Input,
    Layer,
    Manifest,
    Model,
    ModelConfig,
    Parent,
    SelectedModel,
    Selection,
    Source,
    TestSet,
    Tolerance,
)

SCHEMA_MODULE = "harness/fer_edge_harness/manifest_schema.py"
RESULTS_SCHEMA_MODULE = "harness/fer_edge_harness/results_schema.py"

# Words skipped everywhere: each is also the key or value of many unrelated records, so a
# literal of it says nothing about the manifest. Where the word IS the manifest's field the
# code still spells it through manifest_schema.
COMMON_WORDS = {
    "name": "everything named has one: sensors, datasets, search-space entries, Ray settings, "
            "pytest options, Keras layers",
    "path": "every file reference: dataset files, merge.json's bundles, the report's links",
    "train": "a part of the dataset split (SplitSpec, Split.part), which dataset.counts counts",
    "val": "a part of the dataset split (SplitSpec, Split.part), which dataset.counts counts",
    "test": "a part of the dataset split (SplitSpec, Split.part), which dataset.counts counts",
    "schema_version": "every versioned file has one: the results, the trial store, the demo "
                      "record, merge.json, the Ray records, the search space",
    "openvino": "a backend's, a runtime's and a Python package's name",
    "source": "where a record came from: ranking rows, the search space, a results file",
    "output": "Keras' name of a classifier's last layer (search model, both baselines)",
    "type": "a thermal zone's, a pydantic error's and a table column's name",
}

# The search run folder's records (run.json and its `data`, top.json rows, trials/*/result.json,
# trials.jsonl, the Ray records), whose fields a stage-1 bundle copies under the same names;
# the run folder is a contract of its own (search/fer_edge_search/run_files.py).
RUN_FOLDER_WORDS = ("trial_id", "config", "params", "flops", "val_accuracy", "rank", "status",
                    "spec", "split", "last_frames", "class_names", "input", "input_shape",
                    "sha256", "threads", "baseline")
# The modules that read or write those records (each spells some of RUN_FOLDER_WORDS).
RUN_FOLDER_FILES = (
    "search/fer_edge_search/runner.py",
    "search/fer_edge_search/trial_store.py",
    "search/fer_edge_search/history.py",
    "search/fer_edge_search/train.py",
    "search/fer_edge_search/raytune/callback.py",
    "search/fer_edge_search/raytune/driver.py",
    "search/fer_edge_search/raytune/records.py",
    "search/fer_edge_search/raytune/trainable.py",
    "search/fer_edge_search/baselines/runner.py",
    "search/fer_edge_search/baselines/folder.py",
    "search/fer_edge_search/export/writer.py",
    "search/fer_edge_search/datasets/summary.py",
    "fer_edge/commands/search.py",
    "fer_edge/commands/baselines.py",
    "fer_edge/commands/data.py",
    "fer_edge/pipeline/stage1.py",
    "benchmarks/bench_search.py",
    "benchmarks/bench_trial.py",
    "benchmarks/ray_vs_local.py",
    "benchmarks/recipe_ablation.py",
)

# Words allowed in one file, where they mean something else than the manifest's field.
OTHER_MEANINGS: dict[str, dict[str, str]] = {
    "benchmarks/bench_baselines.py": {"reference": "the benchmark's searched reference model"},
    "benchmarks/fidelity.py": {
        name: "a key of LiteRT's tensor details (Interpreter.get_input_details)"
        for name in ("shape", "dtype")},
    "benchmarks/mutation.py": {"baseline": "cosmic-ray's `baseline` command"},
    "benchmarks/recipe_ablation.py": {"settings": "the ablation's record of its TrainSettings"},
    "core/fer_edge_core/jsonfile.py": {"input": "a key of a pydantic validation error"},
    "fer_edge/pipeline/console.py": {
        name: "a key of the demo's per-board choice (pipeline/demo.py board_choices)"
        for name in ("models", "fitness")},
    "fer_edge/pipeline/demo.py": {
        name: "a key of the demo's per-board choice (board_choices)"
        for name in ("models", "fitness")},
    "fer_edge/pipeline/options.py": {"ranking": "the name of a stage's ranking folder"},
    "harness/fer_edge_harness/backends/tflite.py": {
        name: "a key of LiteRT's tensor details (Interpreter.get_input_details)"
        for name in ("shape", "dtype")},
    "harness/fer_edge_harness/boardstate.py": {"id": "a key of the Jetson power mode record"},
    "harness/fer_edge_harness/lifeline.py": {
        name: "a key of the lifeline's state (the parent process, why the run stopped)"
        for name in ("parent", "reason")},
    "harness/fer_edge_harness/results.py": {"spec": "a key of the power sensor's record"},
    "harness/fer_edge_harness/sensors/base.py": {"spec": "a key of the power sensor's record"},
    "images/locks.py": {"check": "the `check` action of the lock script"},
    "merge/fer_edge_merge/figures.py": {"models": "a figure legend's label"},
    "merge/fer_edge_merge/ranking.py": {
        "ranking": "the title of ranking.md's table",
        "created": "a key of merge.json (when the merge ran)"},
    "search/fer_edge_search/datasets/ckplus.py": {
        "last_frames": "a key of the CK+ loader's own description (Dataset.meta)"},
    "search/fer_edge_search/datasets/synthetic.py": {
        "n": "a key of the synthetic loader's own description (Dataset.meta)"},
    "search/fer_edge_search/export/onnx_file.py": {"input": "the ONNX graph's input name"},
    "search/fer_edge_search/export/show.py": {
        name: "a column header of `bundle show`'s tables"
        for name in ("format", "sha256", "status", "settings", "params")},
}


def field_names() -> set[str]:
    """Every field name of the manifest, as manifest_schema's records name them."""
    return schema_names(manifest_schema)


def results_names() -> set[str]:
    return schema_names(results_schema)


def allowed_words() -> dict[str, set[str]]:
    """Per file, the manifest field names it may spell: its exceptions here, and a name both
    contracts use where the results record's test allows it (it means neither record there)."""
    shared = field_names() & results_names()
    allowed = {path: set(words) & shared for path, words in RESULTS_OTHER_MEANINGS.items()}
    for path, words in OTHER_MEANINGS.items():
        allowed.setdefault(path, set()).update(words)
    for path in RUN_FOLDER_FILES:
        allowed.setdefault(path, set()).update(RUN_FOLDER_WORDS)
    allowed.setdefault(RESULTS_SCHEMA_MODULE, set()).update(field_names() & results_names())
    return allowed


def test_manifest_field_names_are_spelled_only_in_manifest_schema():
    stray = stray_literals(field_names() - set(COMMON_WORDS), SCHEMA_MODULE, allowed_words())
    assert not stray, ("manifest field names spelled outside " + SCHEMA_MODULE + " (use "
                       "manifest_schema.Manifest / Model / Artifact / ... and its builders):\n"
                       + "\n".join(stray))


def test_the_scan_sees_the_schema_module_and_every_component():
    assert not scan_gaps(SCHEMA_MODULE, field_names())


def test_the_exceptions_are_still_needed():
    """An exception whose words no longer occur in its file is dropped, not kept as a hole."""
    names = field_names()
    assert set(COMMON_WORDS) <= names and set(RUN_FOLDER_WORDS) <= names
    assert not unused_exceptions(OTHER_MEANINGS, names)
    for relative in RUN_FOLDER_FILES:
        assert words_in(relative) & set(RUN_FOLDER_WORDS) - set(OTHER_MEANINGS.get(relative, ())), \
            f"{relative} no longer spells a run folder field"


def test_bundle_sha256_is_checked_in_both_contracts():
    """bundle_sha256 is the manifest's hash field and a results field: both scans check it (the
    results one skipped it while the manifest had no module of its own)."""
    from test_contract_literals import GENERIC_WORDS

    assert Manifest.BUNDLE_SHA256 in field_names() - set(COMMON_WORDS)
    assert results_schema.Extra.BUNDLE_SHA256 not in GENERIC_WORDS


def _keys_named(record: dict, schema: type, where: str) -> None:
    unnamed = set(record) - named(schema)
    assert not unnamed, f"{where}: {sorted(unnamed)} not named in manifest_schema.{schema.__name__}"


def check_manifest_keys(manifest: dict) -> None:
    """Every key of a manifest is a name of manifest_schema (a key a writer added without a name
    would escape the literal check above); data-keyed maps (artifacts by format, runtime
    versions, a searched configuration, the split) are not field names."""
    _keys_named(manifest, Manifest, "manifest")
    _keys_named(manifest[Manifest.DATASET], Dataset, "dataset")
    _keys_named(manifest[Manifest.DATASET][Dataset.COUNTS], Counts, "dataset.counts")
    _keys_named(manifest[Manifest.INPUT], Input, "input")
    _keys_named(manifest[Manifest.TEST_SET], TestSet, "test_set")
    for key, schema in ((Manifest.SOURCE, Source), (Manifest.PARENT, Parent),
                        (Manifest.SELECTION, Selection)):
        if manifest.get(key):
            _keys_named(manifest[key], schema, key)
    for entry in (manifest.get(Manifest.SELECTION) or {}).get(Selection.MODELS, []):
        _keys_named(entry, SelectedModel, "selection.models[]")
    for model in manifest[Manifest.MODELS]:
        _keys_named(model, Model, "models[]")
        for marker, schema in ((ModelConfig.EXTERNAL, External), (ModelConfig.BASELINE, Baseline)):
            if isinstance(model[Model.CONFIG].get(marker), dict):
                _keys_named(model[Model.CONFIG][marker], schema, f"config.{marker}")
        for layer in model.get(Model.LAYERS, []):
            _keys_named(layer, Layer, "models[].layers[]")
        for fmt, artifact in model[Model.ARTIFACTS].items():
            _keys_named(artifact, Artifact, f"artifacts.{fmt}")
            if artifact.get(Artifact.WEIGHTS):
                _keys_named(artifact[Artifact.WEIGHTS], FileRecord, f"artifacts.{fmt}.weights")
            check = artifact.get(Artifact.CHECK) or {}
            _keys_named(check, Check, f"artifacts.{fmt}.check")
            if check.get(Check.TOLERANCE):
                _keys_named(check[Check.TOLERANCE], Tolerance, f"artifacts.{fmt}.check.tolerance")


def test_a_selected_bundle_uses_only_named_fields(tmp_path):
    """`fer-edge select`'s manifest (parent and selection added to its parent's) names every
    key it writes."""
    from merge_factory import stage2_ranking

    from fer_edge_merge.select import select_models

    bundle, _, _, ranking = stage2_ranking(tmp_path)
    written = select_models(ranking, "latency", 2, bundle, tmp_path / "stage3")
    for folder in written.values():
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest[Manifest.PARENT] and manifest[Manifest.SELECTION][Selection.MODELS]
        check_manifest_keys(manifest)


@pytest.mark.slow
def test_stage1_and_imported_bundles_use_only_named_fields(tmp_path_factory):
    """The search export's manifest (every format's artifact and check record) and the bundle
    import's (its class mapping and `external` configuration) name every key."""
    from harness_fixtures import shared_tiny_bundle

    from fer_edge_search.export.external import import_external

    stage1 = shared_tiny_bundle(tmp_path_factory)
    manifest = json.loads((stage1 / "manifest.json").read_text())
    assert manifest[Manifest.SOURCE] and manifest[Manifest.MODELS]
    check_manifest_keys(manifest)
    model = manifest[Manifest.MODELS][0]
    keras_file = stage1 / model[Model.ARTIFACTS]["keras"][Artifact.PATH]
    # one class the data lacks, one the model lacks: both lists of the class mapping are filled
    classes = [*manifest[Manifest.DATASET][Dataset.CLASS_NAMES][:-1], "not-in-the-data"]
    imported = import_external(keras_file, classes, "synthetic:n=300",
                               tmp_path_factory.mktemp("imported") / "ext", formats=["keras"])
    manifest = json.loads((imported / "manifest.json").read_text())
    assert manifest[Manifest.DATASET][Dataset.DROPPED_CLASSES]
    assert manifest[Manifest.DATASET][Dataset.CLASSES_WITHOUT_IMAGES] == ["not-in-the-data"]
    assert ModelConfig.EXTERNAL in manifest[Manifest.MODELS][0][Model.CONFIG]
    check_manifest_keys(manifest)
