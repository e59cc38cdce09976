"""The fields of a bundle manifest (README, "Contracts") and the functions that make its records:
one definition that the search export, the bundle import, `fer-edge select` and the verifier all
use, so they cannot drift apart. Python 3.6 compatible.

Every field name of the manifest is spelled once, here, as a class attribute (Manifest, Dataset,
Input, TestSet, Model, Artifact, Check, ...); every module that writes or reads a manifest
spells a key through these names, never as a string literal. Renaming a field is then one edit
in this module, and tests/test_manifest_literals.py fails when a literal of a field name appears
anywhere else. The builders below (`input_record`, `model_record`, `artifact_record`, ...) make
each record with all its fields, so a writer cannot leave one out or spell it its own way.
"""

import os
from datetime import datetime, timezone

# What every backend feeds a model (`input.dtype`).
INPUT_DTYPE = "float32"


class Manifest(object):
    """The top-level keys of manifest.json."""

    SCHEMA_VERSION = "schema_version"
    NAME = "name"
    CREATED = "created"
    PARENT = "parent"
    DATASET = "dataset"
    INPUT = "input"
    TEST_SET = "test_set"
    MODELS = "models"
    # Where a stage-1 bundle came from (Source), and a selected bundle's choice (Selection).
    SOURCE = "source"
    SELECTION = "selection"
    # sha256 of the canonical manifest without this field (bundle.manifest_hash).
    BUNDLE_SHA256 = "bundle_sha256"


class Dataset(object):
    """The keys of `dataset`: which data the test set comes from, and its classes in label
    order. An imported model's also says how the dataset's classes map onto the model's."""

    NAME = "name"
    SPEC = "spec"
    CLASS_NAMES = "class_names"
    SPLIT = "split"  # the search's SplitSpec.as_dict()
    LAST_FRAMES = "last_frames"
    COUNTS = "counts"
    # An imported model (bundle import): the dataset's own class names, those the model lacks
    # (their images dropped), and the model's classes the dataset has no images of.
    SOURCE_CLASS_NAMES = "source_class_names"
    DROPPED_CLASSES = "dropped_classes"
    CLASSES_WITHOUT_IMAGES = "classes_without_images"


class Counts(object):
    """The keys of `dataset.counts`: images in each part of the split."""

    TRAIN = "train"
    VAL = "val"
    TEST = "test"


class Input(object):
    """The keys of `input`: what every backend feeds a model (float = uint8 x scale + offset,
    fer_edge_harness.inputs)."""

    SHAPE = "shape"
    DTYPE = "dtype"
    SCALE = "scale"
    OFFSET = "offset"  # schema 2; a schema-1 manifest has none (0)


class FileRecord(object):
    """The keys of a file the bundle holds: the test set, an artifact, OpenVINO's weights."""

    PATH = "path"
    SHA256 = "sha256"
    BYTES = "bytes"


class TestSet(FileRecord):
    """The keys of `test_set`: its file and how many images it holds."""

    __test__ = False  # pytest: a record, not a test class
    N = "n"


class Model(object):
    """The keys of one entry of `models`."""

    ID = "id"
    RANK = "rank"  # its stage-1 rank; null for a baseline
    TRIAL_ID = "trial_id"
    CONFIG = "config"
    PARAMS = "params"
    FLOPS = "flops"
    VAL_ACCURACY = "val_accuracy"
    ARTIFACTS = "artifacts"  # {format: Artifact record}
    LAYERS = "layers"  # a baseline's only: [Layer record]


class Artifact(FileRecord):
    """The keys of one format's record in a model's `artifacts`: its file (null when not built),
    the export's status and reason, the check against Keras, and what the exporter reports."""

    STATUS = "status"
    REASON = "reason"
    CHECK = "check"
    WEIGHTS = "weights"  # a second FileRecord (OpenVINO IR's .bin)
    EXPORT_SECONDS = "export_seconds"
    # What an exporter reports of the file it made (export/*.py ExportOutput.info).
    OPS = "ops"
    EDGETPU_UNMAPPABLE_OPS = "edgetpu_unmappable_ops"
    CALIBRATION_IMAGES = "calibration_images"
    OPSET = "opset"
    INPUT_NAME = "input_name"
    TF2ONNX = "tf2onnx"
    SOURCE = "source"
    WEIGHTS_PRECISION = "weights_precision"
    OPENVINO = "openvino"
    COMPILER_VERSION = "compiler_version"
    OPS_TOTAL = "ops_total"
    OPS_ON_TPU = "ops_on_tpu"
    OPS_ON_CPU = "ops_on_cpu"
    SUBGRAPHS = "subgraphs"


class Check(object):
    """The keys of an artifact's `check`: it ran on the test set through the harness backend a
    board uses and was compared with the Keras model's outputs (or, `ran` false, why not)."""

    RAN = "ran"
    REASON = "reason"
    N = "n"
    AGREEMENT = "agreement"
    MAX_ABS_DIFF = "max_abs_diff"
    TIED_TOP1 = "tied_top1"
    TOLERANCE = "tolerance"
    PRECISION = "precision"
    BACKEND = "backend"
    BACKEND_PRECISION = "backend_precision"
    THREADS = "threads"
    RUNTIME_VERSIONS = "runtime_versions"


class Tolerance(object):
    """The keys of `check.tolerance`: the least top-1 agreement and the largest output
    difference a format's precision is allowed."""

    MIN_AGREEMENT = "min_agreement"
    MAX_ABS_DIFF = "max_abs_diff"


class Layer(object):
    """The keys of one entry of a baseline's `layers` (fer_edge_search.baselines.layers)."""

    NAME = "name"
    TYPE = "type"
    SETTINGS = "settings"
    OUTPUT = "output"
    PARAMS = "params"


class ModelConfig(object):
    """The markers of a model `config` that is no searched architecture: a Table 4 baseline
    (`{"baseline": Baseline record}`) or an imported model (`{"external": External record}`)."""

    BASELINE = "baseline"
    EXTERNAL = "external"


class Baseline(object):
    """The keys of a baseline's `config.baseline`."""

    NAME = "name"
    TITLE = "title"
    REFERENCE = "reference"


class External(object):
    """The keys of an imported model's `config.external`: the file it came from and what the
    import was told of it."""

    SOURCE = "source"
    SHA256 = "sha256"
    INPUT_SHAPE = "input_shape"
    CLASSES = "classes"


class Source(object):
    """The keys of a stage-1 bundle's `source`: the run folders it was made from."""

    RUN_DIR = "run_dir"
    TOP_K = "top_k"
    BASELINES_DIR = "baselines_dir"


class Parent(object):
    """The keys of a selected bundle's `parent`: the bundle it was cut from."""

    BUNDLE_SHA256 = "bundle_sha256"
    PATH = "path"  # relative to the selected bundle


class Selection(object):
    """The keys of a selected bundle's `selection` (`fer-edge select`)."""

    BY = "by"
    TOP = "top"
    DEVICE_LABEL = "device_label"
    RANKING = "ranking"  # the ranking.json it was chosen from, relative to the bundle
    MODELS = "models"  # [SelectedModel record], in rank order


class SelectedModel(object):
    """The keys of one entry of `selection.models`."""

    ID = "id"
    BACKEND = "backend"
    RANK = "rank"
    FITNESS = "fitness"


class ChosenArtifact(object):
    """The keys of the harness's record of the artifact a backend loads (not in the manifest:
    built from it by session.HarnessSession.artifact): its format, absolute path and sha256,
    its manifest record, and the other usable artifacts it may fall back to."""

    FORMAT = "format"
    PATH = FileRecord.PATH
    SHA256 = FileRecord.SHA256
    RECORD = "record"
    ALTERNATIVES = "alternatives"


def field_path(*keys):
    """How a message names a nested field: `input.scale`, `models[0].artifacts.onnx`."""
    return ".".join(keys)


# -- builders: every record of a manifest, with all its fields ----------------------------------

def file_record(relative_path, sha256, size):
    """A {path, sha256, bytes} record; `relative_path` is inside the bundle, '/'-separated."""
    return {FileRecord.PATH: relative_path.replace(os.sep, "/"), FileRecord.SHA256: sha256,
            FileRecord.BYTES: size}


def input_record(shape, scaling):
    """`input`: the model input's [H, W, 1], float32, and the scaling (inputs.InputScaling)."""
    return {Input.SHAPE: [int(d) for d in shape], Input.DTYPE: INPUT_DTYPE,
            Input.SCALE: scaling.scale, Input.OFFSET: scaling.offset}


def test_set_record(record, n):
    """`test_set`: the file record of test_set.npz and its number of images."""
    return dict(record, **{TestSet.N: n})


def counts_record(train, val, test):
    """`dataset.counts`."""
    return {Counts.TRAIN: train, Counts.VAL: val, Counts.TEST: test}


def dataset_record(name, spec, class_names, split, counts, last_frames=1, imported=None):
    """`dataset`. An imported model's also maps its classes: `imported` is (the dataset's own
    class names, those the model lacks, the model's classes the dataset has no images of)."""
    record = {Dataset.NAME: name, Dataset.SPEC: spec, Dataset.CLASS_NAMES: list(class_names)}
    if imported is not None:
        record[Dataset.SOURCE_CLASS_NAMES] = list(imported[0])
    record.update({Dataset.SPLIT: split, Dataset.LAST_FRAMES: int(last_frames),
                   Dataset.COUNTS: counts})
    if imported is not None:
        record.update({Dataset.DROPPED_CLASSES: list(imported[1]),
                       Dataset.CLASSES_WITHOUT_IMAGES: list(imported[2])})
    return record


def created_now():
    """A manifest's `created`: now, UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def manifest_head(schema_version, name, dataset, input_rec, test_set):
    """The manifest's fields before its models (a stage-1 or imported bundle: no parent)."""
    return {Manifest.SCHEMA_VERSION: schema_version, Manifest.NAME: name,
            Manifest.CREATED: created_now(), Manifest.PARENT: None, Manifest.DATASET: dataset,
            Manifest.INPUT: input_rec, Manifest.TEST_SET: test_set}


def source_record(run_dir, top_k, baselines_dir):
    """A stage-1 bundle's `source`."""
    return {Source.RUN_DIR: run_dir, Source.TOP_K: top_k, Source.BASELINES_DIR: baselines_dir}


def model_record(model_id, config, params, flops, val_accuracy, artifacts, rank=None,
                 trial_id=None, searched=True):
    """One entry of `models`. A model of a search or baseline run (`searched`) records its rank
    and trial; an imported model has neither field."""
    record = {Model.ID: model_id}
    if searched:
        record.update({Model.RANK: rank, Model.TRIAL_ID: trial_id})
    record.update({Model.CONFIG: config, Model.PARAMS: params, Model.FLOPS: flops,
                   Model.VAL_ACCURACY: val_accuracy, Model.ARTIFACTS: artifacts})
    return record


def with_layers(model, layers):
    """A baseline's model entry with its layer list ([layer_record])."""
    return dict(model, **{Model.LAYERS: layers})


def layer_record(name, kind, settings, output, params):
    """One entry of a baseline's `layers`."""
    return {Layer.NAME: name, Layer.TYPE: kind, Layer.SETTINGS: settings, Layer.OUTPUT: output,
            Layer.PARAMS: params}


def empty_artifact(status, reason):
    """The record of an artifact that has no file (not built, or its export failed)."""
    return {Artifact.PATH: None, Artifact.SHA256: None, Artifact.BYTES: None,
            Artifact.STATUS: status, Artifact.REASON: reason, Artifact.CHECK: None}


def artifact_record(record, status, reason, facts=None, weights=None):
    """The record of a built artifact: its file record, the second file (`weights`) if any,
    status, reason, no check yet, and the exporter's `facts` (Artifact.OPS, ...)."""
    artifact = dict(record)
    if weights is not None:
        artifact[Artifact.WEIGHTS] = weights
    artifact.update({Artifact.STATUS: status, Artifact.REASON: reason, Artifact.CHECK: None})
    artifact.update(facts or {})
    return artifact


def check_not_run(reason):
    """An artifact's `check` when it cannot run here (it needs its accelerator)."""
    return {Check.RAN: False, Check.REASON: reason}


def check_record(n, agreement, max_abs_diff, tied_top1, min_agreement, max_diff):
    """An artifact's `check` after it ran: agreement with Keras and the tolerance it had."""
    return {Check.N: n, Check.AGREEMENT: agreement, Check.MAX_ABS_DIFF: max_abs_diff,
            Check.TIED_TOP1: tied_top1,
            Check.TOLERANCE: {Tolerance.MIN_AGREEMENT: min_agreement,
                              Tolerance.MAX_ABS_DIFF: max_diff}}


def check_backend(precision, backend, backend_precision, threads, runtime_versions):
    """The fields a `check` adds about what ran it."""
    return {Check.PRECISION: precision, Check.BACKEND: backend,
            Check.BACKEND_PRECISION: backend_precision, Check.THREADS: threads,
            Check.RUNTIME_VERSIONS: runtime_versions}


def baseline_config(name, title, reference):
    """The configuration that names a Table 4 baseline."""
    return {ModelConfig.BASELINE: {Baseline.NAME: name, Baseline.TITLE: title,
                                   Baseline.REFERENCE: reference}}


def external_config(source, sha256, input_shape, classes):
    """An imported model's configuration."""
    return {ModelConfig.EXTERNAL: {External.SOURCE: source, External.SHA256: sha256,
                                   External.INPUT_SHAPE: list(input_shape),
                                   External.CLASSES: list(classes)}}


def parent_record(bundle_sha256, path):
    """A selected bundle's `parent`."""
    return {Parent.BUNDLE_SHA256: bundle_sha256, Parent.PATH: path}


def selection_record(by, top, device_label, ranking, models=None):
    """A selected bundle's `selection`; `models` ([selected_model]) once they are chosen."""
    record = {Selection.BY: by, Selection.TOP: top, Selection.DEVICE_LABEL: device_label,
              Selection.RANKING: ranking}
    if models is not None:
        record[Selection.MODELS] = models
    return record


def selected_model(model_id, backend, rank, fitness):
    """One entry of `selection.models`."""
    return {SelectedModel.ID: model_id, SelectedModel.BACKEND: backend,
            SelectedModel.RANK: rank, SelectedModel.FITNESS: fitness}


def chosen_artifact(fmt, path, sha256, record=None, alternatives=None):
    """The harness's ChosenArtifact record (`record`, `alternatives`: where known)."""
    chosen = {ChosenArtifact.FORMAT: fmt, ChosenArtifact.PATH: path,
              ChosenArtifact.SHA256: sha256}
    if record is not None:
        chosen[ChosenArtifact.RECORD] = record
    if alternatives is not None:
        chosen[ChosenArtifact.ALTERNATIVES] = alternatives
    return chosen
