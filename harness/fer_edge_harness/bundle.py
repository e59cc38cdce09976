"""Read and verify a model bundle (models/NAME/manifest.json): the one contract between the
search image and every board. Host and board both import this module, so it runs on Python 3.6.

A bundle is trusted only after `verify_bundle` passed: known schema version, the manifest's
shape (every field a board reads, of the right type: `check_manifest_shape`, the one structural
check, used by host and board alike), every listed file inside the bundle folder, present, of its
recorded size and sha256, the manifest's own hash, then what a board relies on beyond hashes:
each usable artifact is a file of its format (filetypes.py) and the test set agrees with the
manifest's input shape, scale, classes and count (testset.py).
"""

import hashlib
import json
import math
import os
import re

from fer_edge_harness import filetypes, testset

from fer_edge_harness.confine import confined_path

SCHEMA_VERSION = 1
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

REQUIRED_FIELDS = ("dataset", "input", "test_set", "models")
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
    return {
        "path": relative_path.replace(os.sep, "/"),
        "sha256": sha256_file(full),
        "bytes": os.path.getsize(full),
    }


def manifest_hash(manifest):
    """The bundle's one hash: sha256 of the canonical manifest without its own hash field.

    The manifest lists the sha256 of every file, so this one value pins the whole bundle.
    """
    body = dict((k, v) for k, v in manifest.items() if k != "bundle_sha256")
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade_manifest(manifest, where):
    """Bring an older manifest to SCHEMA_VERSION, or refuse a version this code does not know."""
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise BundleError(where, "schema_version {!r} is not supported (this fer-edge reads {})"
                          .format(version, SCHEMA_VERSION))
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
    fields.string(record.get("path"), field + ".path")
    fields.string(record.get("sha256"), field + ".sha256")
    fields.whole(record.get("bytes"), field + ".bytes")


def _check_artifact(fields, artifact, field):
    fields.object(artifact, field)
    if artifact.get("status") not in STATUSES:
        fields.fail(field + ".status", "must be one of {}, got {!r}".format(
            ", ".join(STATUSES), artifact.get("status")))
    fields.string(artifact.get("reason"), field + ".reason", optional=True)
    if artifact.get("path") is not None:
        _check_file_entry(fields, artifact, field)
    elif artifact["status"] in USABLE_STATUSES:
        fields.fail(field + ".path", "a {} artifact needs a file".format(artifact["status"]))
    if artifact.get("weights") is not None:
        _check_file_entry(fields, artifact["weights"], field + ".weights")
    check = fields.object(artifact.get("check"), field + ".check", optional=True) or {}
    for key in ("agreement", "max_abs_diff"):
        fields.number(check.get(key), "{}.check.{}".format(field, key), optional=True)


def _check_models(fields, models):
    """Models: at least one, ids plain and unique, artifacts an object of artifact records."""
    if not fields.list(models, "models"):
        fields.fail("models", "the bundle holds no models")
    seen = {}
    for index, model in enumerate(models):
        field = "models[{}]".format(index)
        fields.object(model, field)
        model_id = fields.string(model.get("id"), field + ".id")
        if not MODEL_ID.match(model_id):
            fields.fail(field + ".id", "{!r} may hold only letters, digits, '.', '_' and '-'"
                        .format(model_id))
        if model_id in seen:
            fields.fail(field + ".id", "{!r} is listed twice (also models[{}])".format(
                model_id, seen[model_id]))
        seen[model_id] = index
        for key in ("params", "flops"):
            fields.whole(model.get(key), "{}.{}".format(field, key), optional=True)
        fields.number(model.get("val_accuracy"), field + ".val_accuracy", optional=True)
        artifacts = fields.object(model.get("artifacts"), field + ".artifacts")
        for fmt in sorted(artifacts):
            _check_artifact(fields, artifacts[fmt], "{}.artifacts.{}".format(field, fmt))


def check_manifest_shape(manifest, where):
    """The manifest's structure: every field a board or the host reads, of its type, so that
    a hand-edited or foreign manifest fails here with the field's name, never later."""
    fields = _Fields(where)
    for key in REQUIRED_FIELDS:
        if key not in manifest:
            fields.fail(key, "required field is missing")
    dataset = fields.object(manifest["dataset"], "dataset")
    names = fields.list(dataset.get("class_names"), "dataset.class_names")
    if not names:
        fields.fail("dataset.class_names", "must list at least one class")
    for index, name in enumerate(names):
        fields.string(name, "dataset.class_names[{}]".format(index))
    inputs = fields.object(manifest["input"], "input")
    shape = fields.list(inputs.get("shape"), "input.shape")
    if len(shape) != 3 or shape[2] != 1 or any(
            isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape):
        fields.fail("input.shape", "must be [H, W, 1] (positive whole numbers), got {}".format(
            json.dumps(shape)))
    if inputs.get("dtype") != "float32":
        fields.fail("input.dtype", "must be \"float32\" (what every backend feeds), got {}"
                    .format(json.dumps(inputs.get("dtype"))))
    scale = fields.number(inputs.get("scale"), "input.scale")
    if not scale > 0 or not math.isfinite(scale):
        fields.fail("input.scale", "must be a positive number, got {!r}".format(scale))
    _check_file_entry(fields, manifest["test_set"], "test_set")
    fields.whole(manifest["test_set"].get("n"), "test_set.n", minimum=1)
    _check_models(fields, manifest["models"])
    fields.string(manifest.get("bundle_sha256"), "bundle_sha256")
    fields.object(manifest.get("parent"), "parent", optional=True)


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
    if "test_set" in manifest:
        records.append(("test_set", manifest["test_set"]))
    for model in manifest.get("models", []):
        for fmt, artifact in sorted(model.get("artifacts", {}).items()):
            label = "{}/{}".format(model.get("id"), fmt)
            if artifact.get("path"):
                records.append((label, artifact))
            # A format made of two files (OpenVINO IR: .xml + .bin) lists the second here.
            if artifact.get("weights"):
                records.append((label + "/weights", artifact["weights"]))
    return records


def resolve_inside(bundle_dir, relative_path, where):
    """Absolute path of a manifest path, refusing any that leaves the bundle folder."""
    try:
        return confined_path(bundle_dir, relative_path, "bundle folder")
    except ValueError as exc:
        raise BundleError(where, str(exc))


def verify_record(bundle_dir, record, label):
    """Check one {path, sha256, bytes} record against the file on disk."""
    relative = record.get("path")
    if not relative or "sha256" not in record or "bytes" not in record:
        raise BundleError(os.path.join(str(bundle_dir), MANIFEST_NAME),
                          "entry {} lacks path, sha256 or bytes".format(label))
    full = resolve_inside(bundle_dir, relative, os.path.join(str(bundle_dir), relative))
    if not os.path.isfile(full):
        raise BundleError(full, "listed in the manifest ({}) but missing".format(label))
    size = os.path.getsize(full)
    if size != record["bytes"]:
        raise BundleError(full, "size {} bytes, manifest says {}".format(size, record["bytes"]))
    digest = sha256_file(full)
    if digest != record["sha256"]:
        raise BundleError(full, "sha256 {} does not match the manifest's {}"
                          .format(digest[:12], str(record["sha256"])[:12]))
    return full


def verify_bundle(bundle_dir):
    """Verify everything and return the manifest; raise BundleError naming the first bad file."""
    manifest = read_manifest(bundle_dir)
    manifest_path = os.path.join(str(bundle_dir), MANIFEST_NAME)
    for label, record in listed_files(manifest):
        verify_record(bundle_dir, record, label)
    recorded = manifest.get("bundle_sha256")
    if recorded != manifest_hash(manifest):
        raise BundleError(manifest_path, "bundle_sha256 does not match the manifest's contents")
    verify_test_set(bundle_dir, manifest)
    verify_artifact_types(bundle_dir, manifest)
    return manifest


def verify_test_set(bundle_dir, manifest):
    """The test set agrees with the manifest: input shape and scale, classes, count."""
    path = resolve_inside(bundle_dir, manifest["test_set"]["path"],
                          os.path.join(str(bundle_dir), MANIFEST_NAME))
    try:
        testset.check_scale(manifest["input"]["scale"])
        images, labels = testset.load_test_set(path)
        testset.check_test_set(images, labels, manifest["input"]["shape"],
                               manifest["test_set"]["n"], len(manifest["dataset"]["class_names"]))
    except testset.BadTestSet as exc:
        raise BundleError(path, str(exc))


def verify_artifact_types(bundle_dir, manifest):
    """Every usable artifact is a file of its format (its identifier, no runtime imported)."""
    for model in manifest["models"]:
        for fmt in sorted(model["artifacts"]):
            path = artifact_path(bundle_dir, model, fmt)
            problem = filetypes.artifact_problem(fmt, path) if path else None
            if problem:
                raise BundleError(path, "{} of {}: {}".format(fmt, model["id"], problem))


def artifact_path(bundle_dir, model, fmt):
    """Absolute path of a model's usable artifact, or None when it was not built."""
    artifact = model.get("artifacts", {}).get(fmt)
    if not artifact or artifact.get("status") not in USABLE_STATUSES or not artifact.get("path"):
        return None
    where = os.path.join(str(bundle_dir), MANIFEST_NAME)
    return resolve_inside(bundle_dir, artifact["path"], where)
