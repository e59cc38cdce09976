"""Read and verify a model bundle (models/NAME/manifest.json): the one contract between the
search image and every board. Host and board both import this module, so it runs on Python 3.6.

A bundle is trusted only after `verify_bundle` passed: known schema version, the manifest's
shape (every field a board reads, of the right type: `check_manifest_shape`, the one structural
check, used by host and board alike), every listed file inside the bundle folder, present, of its
recorded size and sha256, the manifest's own hash, then what a board relies on beyond hashes:
the input scaling is one a model here was trained with (inputs.scaling_problem: 1/255 in
schema 1, a standardisation within bounds in schema 2), each usable artifact is a file of its
format (filetypes.py) and the test set agrees with the manifest's input shape, classes and
count (testset.py).
"""

import hashlib
import json
import os
import re

from fer_edge_harness import filetypes, manifest_schema, testset

from fer_edge_harness.confine import confined_path

from fer_edge_harness.inputs import InputScaling, scaling_problem

from fer_edge_harness.manifest_schema import (
    INPUT_DTYPE,
    Artifact,
    Check,
    Dataset,
    FileRecord,
    Input,
    Manifest,
    Model,
    TestSet,
    field_path,
)

# 2 added `input.offset` (float input = uint8 x scale + offset); a schema-1 manifest has none
# (offset 0) and is read as it is, so its bundle_sha256 still holds.
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST_NAME = "manifest.json"

# Every artifact format a bundle may list, in the order exports are made.
FORMATS = ("keras", "tflite_fp32", "tflite_int8", "onnx", "openvino_fp16", "edgetpu")

# Artifact status values (like Ultralytics' benchmark status column).
STATUS_BUILT = "built"
STATUS_DISAGREES = "built-but-disagrees"
STATUS_FAILED = "failed"
STATUS_NOT_BUILT = "not-built"
USABLE_STATUSES = (STATUS_BUILT, STATUS_DISAGREES)
STATUSES = (STATUS_BUILT, STATUS_DISAGREES, STATUS_FAILED, STATUS_NOT_BUILT)

REQUIRED_FIELDS = (Manifest.DATASET, Manifest.INPUT, Manifest.TEST_SET, Manifest.MODELS)
# Why a manifest whose own hash does not hold is refused.
HASH_MISMATCH = "{} does not match the manifest's contents".format(Manifest.BUNDLE_SHA256)
# Model ids name pytest cases, --models lists (comma separated) and folders: keep them plain.
MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class BundleError(Exception):
    """A bundle that cannot be trusted; `where` is the file, `problem` what is wrong with it."""

    def __init__(self, where, problem):
        self.where = str(where)
        self.problem = problem
        super(BundleError, self).__init__("{}: {}".format(self.where, problem))


def sha256_file(path, chunk_bytes=1 << 20):
    """Hex sha256 of a file, read in chunks so large artifacts do not fill memory."""
    digest = hashlib.sha256()
    with open(str(path), "rb") as handle:
        for block in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(block)
    return digest.hexdigest()


def file_record(bundle_dir, relative_path):
    """The {path, sha256, bytes} record of a file that lies in the bundle folder."""
    full = os.path.join(str(bundle_dir), relative_path)
    return manifest_schema.file_record(relative_path, sha256_file(full), os.path.getsize(full))


def manifest_hash(manifest):
    """The bundle's one hash: sha256 of the canonical manifest without its own hash field.

    The manifest lists the sha256 of every file, so this one value pins the whole bundle.
    """
    body = dict((k, v) for k, v in manifest.items() if k != Manifest.BUNDLE_SHA256)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade_manifest(manifest, where):
    """Bring an older manifest to SCHEMA_VERSION, or refuse a version this code does not know."""
    version = manifest.get(Manifest.SCHEMA_VERSION)
    if version not in READABLE_VERSIONS:
        raise BundleError(where, "{} {!r} is not supported (this fer-edge reads {})".format(
        Manifest.SCHEMA_VERSION, version, " and ".join(str(v) for v in READABLE_VERSIONS)))
    return manifest


def _refuse_non_finite(name):
    raise ValueError("{} is not a finite number; a manifest holds none".format(name))


def _kind(value):
    """What a JSON value is, as a message says it."""
    if isinstance(value, bool):
        return "true/false"
    for types, name in ((dict, "an object"), (list, "a list"), (str, "a string"),
                        (int, "a whole number"), (float, "a number"), (type(None), "null")):
        if isinstance(value, types):
            return name
    return type(value).__name__


class _Fields(object):
    """Type checks of one manifest's fields; the first wrong one is a BundleError naming it."""

    def __init__(self, where):
        self.where = where

    def fail(self, field, problem):
        raise BundleError(self.where, "{}: {}".format(field, problem))

    def typed(self, value, field, types, wanted, optional=False):
        if value is None and optional:
            return value
        if isinstance(value, bool) or not isinstance(value, types):
            self.fail(field, "must be {}, got {}".format(wanted, _kind(value)))
        return value

    def object(self, value, field, optional=False):
        return self.typed(value, field, dict, "an object", optional)

    def list(self, value, field):
        return self.typed(value, field, list, "a list")

    def string(self, value, field, optional=False):
        text = self.typed(value, field, str, "a string", optional)
        if text is not None and not text:
            self.fail(field, "must not be empty")
        return text

    def whole(self, value, field, minimum=0, optional=False):
        number = self.typed(value, field, int, "a whole number", optional)
        if number is not None and number < minimum:
            self.fail(field, "must be at least {}, got {}".format(minimum, number))
        return number

    def number(self, value, field, optional=False):
        return self.typed(value, field, (int, float), "a number", optional)


def _check_file_entry(fields, record, field):
    """A {path, sha256, bytes} record (the test set, an artifact, OpenVINO's weights)."""
    fields.object(record, field)
    fields.string(record.get(FileRecord.PATH), field_path(field, FileRecord.PATH))
    fields.string(record.get(FileRecord.SHA256), field_path(field, FileRecord.SHA256))
    fields.whole(record.get(FileRecord.BYTES), field_path(field, FileRecord.BYTES))


def _check_artifact(fields, artifact, field):
    fields.object(artifact, field)
    status = artifact.get(Artifact.STATUS)
    if status not in STATUSES:
        fields.fail(field_path(field, Artifact.STATUS), "must be one of {}, got {!r}".format(
            ", ".join(STATUSES), status))
    fields.string(artifact.get(Artifact.REASON), field_path(field, Artifact.REASON),
                  optional=True)
    if artifact.get(Artifact.PATH) is not None:
        _check_file_entry(fields, artifact, field)
    elif status in USABLE_STATUSES:
        fields.fail(field_path(field, Artifact.PATH), "a {} artifact needs a file".format(status))
    if artifact.get(Artifact.WEIGHTS) is not None:
        _check_file_entry(fields, artifact[Artifact.WEIGHTS], field_path(field, Artifact.WEIGHTS))
    check_field = field_path(field, Artifact.CHECK)
    check = fields.object(artifact.get(Artifact.CHECK), check_field, optional=True) or {}
    for key in (Check.AGREEMENT, Check.MAX_ABS_DIFF):
        fields.number(check.get(key), field_path(check_field, key), optional=True)


def _check_models(fields, models):
    """Models: at least one, ids plain and unique, artifacts an object of artifact records."""
    if not fields.list(models, Manifest.MODELS):
        fields.fail(Manifest.MODELS, "the bundle holds no models")
    seen = {}
    for index, model in enumerate(models):
        field = "{}[{}]".format(Manifest.MODELS, index)
        id_field = field_path(field, Model.ID)
        fields.object(model, field)
        model_id = fields.string(model.get(Model.ID), id_field)
        if not MODEL_ID.match(model_id):
            fields.fail(id_field, "{!r} may hold only letters, digits, '.', '_' and '-'"
                        .format(model_id))
        if model_id in seen:
            fields.fail(id_field, "{!r} is listed twice (also {}[{}])".format(
                model_id, Manifest.MODELS, seen[model_id]))
        seen[model_id] = index
        for key in (Model.PARAMS, Model.FLOPS):
            fields.whole(model.get(key), field_path(field, key), optional=True)
        fields.number(model.get(Model.VAL_ACCURACY), field_path(field, Model.VAL_ACCURACY),
                      optional=True)
        artifacts_field = field_path(field, Model.ARTIFACTS)
        artifacts = fields.object(model.get(Model.ARTIFACTS), artifacts_field)
        for fmt in sorted(artifacts):
            _check_artifact(fields, artifacts[fmt], field_path(artifacts_field, fmt))


def check_manifest_shape(manifest, where):
    """The manifest's structure: every field a board or the host reads, of its type, so that
    a hand-edited or foreign manifest fails here with the field's name, never later."""
    fields = _Fields(where)
    for key in REQUIRED_FIELDS:
        if key not in manifest:
            fields.fail(key, "required field is missing")
    _check_dataset(fields, manifest[Manifest.DATASET])
    _check_input(fields, manifest[Manifest.INPUT], manifest[Manifest.SCHEMA_VERSION])
    test_set = manifest[Manifest.TEST_SET]
    _check_file_entry(fields, test_set, Manifest.TEST_SET)
    fields.whole(test_set.get(TestSet.N), field_path(Manifest.TEST_SET, TestSet.N), minimum=1)
    _check_models(fields, manifest[Manifest.MODELS])
    fields.string(manifest.get(Manifest.BUNDLE_SHA256), Manifest.BUNDLE_SHA256)
    fields.object(manifest.get(Manifest.PARENT), Manifest.PARENT, optional=True)


def _check_dataset(fields, dataset):
    """`dataset`: an object with at least one class name."""
    fields.object(dataset, Manifest.DATASET)
    names_field = field_path(Manifest.DATASET, Dataset.CLASS_NAMES)
    names = fields.list(dataset.get(Dataset.CLASS_NAMES), names_field)
    if not names:
        fields.fail(names_field, "must list at least one class")
    for index, name in enumerate(names):
        fields.string(name, "{}[{}]".format(names_field, index))


def _check_input(fields, inputs, schema_version):
    """`input`: [H, W, 1], float32, a scaling a model here was trained with."""
    fields.object(inputs, Manifest.INPUT)
    shape_field = field_path(Manifest.INPUT, Input.SHAPE)
    shape = fields.list(inputs.get(Input.SHAPE), shape_field)
    if len(shape) != 3 or shape[2] != 1 or any(
            isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape):
        fields.fail(shape_field, "must be [H, W, 1] (positive whole numbers), got {}".format(
            json.dumps(shape)))
    if inputs.get(Input.DTYPE) != INPUT_DTYPE:
        fields.fail(field_path(Manifest.INPUT, Input.DTYPE), "must be {} (what every backend "
                    "feeds), got {}".format(json.dumps(INPUT_DTYPE),
                                            json.dumps(inputs.get(Input.DTYPE))))
    fields.number(inputs.get(Input.SCALE), field_path(Manifest.INPUT, Input.SCALE))
    fields.number(inputs.get(Input.OFFSET), field_path(Manifest.INPUT, Input.OFFSET),
                  optional=True)
    problem = scaling_problem(inputs[Input.SCALE], inputs.get(Input.OFFSET), schema_version)
    if problem:
        fields.fail(*problem)


def read_manifest(bundle_dir):
    """Parse manifest.json (no file checks): the dict, upgraded to the current schema."""
    path = os.path.join(str(bundle_dir), MANIFEST_NAME)
    if not os.path.isfile(path):
        raise BundleError(path, "no manifest.json here: is this a bundle folder?")
    try:
        with open(path, "rb") as handle:
            manifest = json.loads(handle.read().decode("utf-8"),
                                  parse_constant=_refuse_non_finite)
    except ValueError as exc:
        raise BundleError(path, "not valid JSON ({})".format(exc))
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(path, "cannot read it ({})".format(exc))
    if not isinstance(manifest, dict):
        raise BundleError(path, "the manifest must be a JSON object")
    manifest = upgrade_manifest(manifest, path)
    check_manifest_shape(manifest, path)
    return manifest


def listed_files(manifest):
    """Every (label, record) whose file the manifest promises: test set and built artifacts."""
    records = []
    if Manifest.TEST_SET in manifest:
        records.append((Manifest.TEST_SET, manifest[Manifest.TEST_SET]))
    for model in manifest.get(Manifest.MODELS, []):
        for fmt, artifact in sorted(model.get(Model.ARTIFACTS, {}).items()):
            label = "{}/{}".format(model.get(Model.ID), fmt)
            if artifact.get(Artifact.PATH):
                records.append((label, artifact))
            # A format made of two files (OpenVINO IR: .xml + .bin) lists the second here.
            if artifact.get(Artifact.WEIGHTS):
                records.append(("{}/{}".format(label, Artifact.WEIGHTS),
                                artifact[Artifact.WEIGHTS]))
    return records


def resolve_inside(bundle_dir, relative_path, where):
    """Absolute path of a manifest path, refusing any that leaves the bundle folder."""
    try:
        return confined_path(bundle_dir, relative_path, "bundle folder")
    except ValueError as exc:
        raise BundleError(where, str(exc))


def verify_record(bundle_dir, record, label):
    """Check one {path, sha256, bytes} record against the file on disk."""
    relative = record.get(FileRecord.PATH)
    if not relative or FileRecord.SHA256 not in record or FileRecord.BYTES not in record:
        raise BundleError(os.path.join(str(bundle_dir), MANIFEST_NAME),
                          "entry {} lacks {}, {} or {}".format(
                              label, FileRecord.PATH, FileRecord.SHA256, FileRecord.BYTES))
    full = resolve_inside(bundle_dir, relative, os.path.join(str(bundle_dir), relative))
    if not os.path.isfile(full):
        raise BundleError(full, "listed in the manifest ({}) but missing".format(label))
    size = os.path.getsize(full)
    if size != record[FileRecord.BYTES]:
        raise BundleError(full, "size {} bytes, manifest says {}".format(
            size, record[FileRecord.BYTES]))
    digest = sha256_file(full)
    if digest != record[FileRecord.SHA256]:
        raise BundleError(full, "sha256 {} does not match the manifest's {}"
                          .format(digest[:12], str(record[FileRecord.SHA256])[:12]))
    return full


def verify_bundle(bundle_dir):
    """Verify everything and return the manifest; raise BundleError naming the first bad file."""
    manifest = read_manifest(bundle_dir)
    manifest_path = os.path.join(str(bundle_dir), MANIFEST_NAME)
    for label, record in listed_files(manifest):
        verify_record(bundle_dir, record, label)
    if manifest.get(Manifest.BUNDLE_SHA256) != manifest_hash(manifest):
        raise BundleError(manifest_path, HASH_MISMATCH)
    verify_test_set(bundle_dir, manifest)
    verify_artifact_types(bundle_dir, manifest)
    return manifest


def input_scaling(manifest, where):
    """The manifest's InputScaling, or a BundleError saying what is wrong with `input`."""
    try:
        return InputScaling.from_manifest(manifest[Manifest.INPUT])
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(where, "{}: {} ({!r})".format(
            Manifest.INPUT, "lacks {}".format(exc) if isinstance(exc, KeyError) else exc,
            manifest.get(Manifest.INPUT)))


def verify_test_set(bundle_dir, manifest):
    """The test set agrees with the manifest: input shape, classes, count (the scaling is
    checked with the manifest's shape)."""
    test_set = manifest[Manifest.TEST_SET]
    path = resolve_inside(bundle_dir, test_set[TestSet.PATH],
                          os.path.join(str(bundle_dir), MANIFEST_NAME))
    try:
        images, labels = testset.load_test_set(path)
        testset.check_test_set(images, labels, manifest[Manifest.INPUT][Input.SHAPE],
                               test_set[TestSet.N],
                               len(manifest[Manifest.DATASET][Dataset.CLASS_NAMES]))
    except testset.BadTestSet as exc:
        raise BundleError(path, str(exc))


def verify_artifact_types(bundle_dir, manifest):
    """Every usable artifact is a file of its format (its identifier, no runtime imported)."""
    for model in manifest[Manifest.MODELS]:
        for fmt in sorted(model[Model.ARTIFACTS]):
            path = artifact_path(bundle_dir, model, fmt)
            problem = filetypes.artifact_problem(fmt, path) if path else None
            if problem:
                raise BundleError(path, "{} of {}: {}".format(fmt, model[Model.ID], problem))


def artifact_path(bundle_dir, model, fmt):
    """Absolute path of a model's usable artifact, or None when it was not built."""
    artifact = model.get(Model.ARTIFACTS, {}).get(fmt)
    if not artifact or artifact.get(Artifact.STATUS) not in USABLE_STATUSES \
            or not artifact.get(Artifact.PATH):
        return None
    where = os.path.join(str(bundle_dir), MANIFEST_NAME)
    return resolve_inside(bundle_dir, artifact[Artifact.PATH], where)
