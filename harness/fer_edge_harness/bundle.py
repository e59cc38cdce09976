"""Read and verify a model bundle (models/NAME/manifest.json): the one contract between the
search image and every board. Host and board both import this module, so it runs on Python 3.6.

A bundle is trusted only after `verify_bundle` passed: known schema version, every listed file
inside the bundle folder, present, of its recorded size and sha256, and the manifest's own hash.
"""

import hashlib
import json
import os

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


def read_manifest(bundle_dir):
    """Parse manifest.json (no file checks): the dict, upgraded to the current schema."""
    path = os.path.join(str(bundle_dir), MANIFEST_NAME)
    if not os.path.isfile(path):
        raise BundleError(path, "no manifest.json here: is this a bundle folder?")
    try:
        with open(path, "r") as handle:
            manifest = json.load(handle)
    except ValueError as exc:
        raise BundleError(path, "not valid JSON ({})".format(exc))
    if not isinstance(manifest, dict):
        raise BundleError(path, "the manifest must be a JSON object")
    return upgrade_manifest(manifest, path)


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
    for key in ("dataset", "input", "test_set", "models"):
        if key not in manifest:
            raise BundleError(manifest_path, "required field {!r} is missing".format(key))
    for label, record in listed_files(manifest):
        verify_record(bundle_dir, record, label)
    recorded = manifest.get("bundle_sha256")
    if recorded != manifest_hash(manifest):
        raise BundleError(manifest_path, "bundle_sha256 does not match the manifest's contents")
    return manifest


def artifact_path(bundle_dir, model, fmt):
    """Absolute path of a model's usable artifact, or None when it was not built."""
    artifact = model.get("artifacts", {}).get(fmt)
    if not artifact or artifact.get("status") not in USABLE_STATUSES or not artifact.get("path"):
        return None
    where = os.path.join(str(bundle_dir), MANIFEST_NAME)
    return resolve_inside(bundle_dir, artifact["path"], where)
