"""The bundle verifier (fer_edge_harness.bundle), which every board runs before it times
anything: each way a bundle can be wrong ends in a BundleError naming the file and the problem.
Fast: small bundles of dummy artifact bytes (the verifier checks files and hashes only)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from harness_fixtures import rewrite_manifest
from merge_factory import write_bundle

from fer_edge_harness import bundle
from fer_edge_harness.bundle import BundleError, verify_bundle

MODEL = "k16-24"


@pytest.fixture
def good(tmp_path) -> Path:
    return write_bundle(tmp_path / "b", {MODEL: {"blocks": 2, "kernels": [16, 24]}})


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def refused(folder: Path) -> BundleError:
    with pytest.raises(BundleError) as error:
        verify_bundle(folder)
    return error.value


def test_a_good_bundle_verifies_and_gives_its_manifest(good):
    manifest = verify_bundle(good)
    assert manifest == manifest_of(good)
    assert manifest["bundle_sha256"] == bundle.manifest_hash(manifest)


def test_no_manifest_bad_json_and_a_non_object_are_refused(tmp_path, good):
    assert refused(tmp_path).problem == "no manifest.json here: is this a bundle folder?"
    (good / "manifest.json").write_text("{not json")
    error = refused(good)
    assert error.where == str(good / "manifest.json")
    assert error.problem.startswith("not valid JSON (")
    (good / "manifest.json").write_text("[1, 2]")
    assert refused(good).problem == "the manifest must be a JSON object"


@pytest.mark.parametrize("version", [0, 2, "1"])
def test_an_unknown_schema_version_is_refused(good, version):
    rewrite_manifest(good, lambda m: m.update(schema_version=version))
    assert refused(good).problem == (f"schema_version {version!r} is not supported "
                                     "(this fer-edge reads 1)")


@pytest.mark.parametrize("field", ["dataset", "input", "test_set", "models"])
def test_each_required_field_is_checked(good, field):
    rewrite_manifest(good, lambda m: m.pop(field))
    error = refused(good)
    assert (error.where, error.problem) == (str(good / "manifest.json"),
                                            f"{field}: required field is missing")


def test_a_changed_file_of_the_same_size_fails_on_its_hash(good):
    path = good / MODEL / "model.tflite"
    recorded = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_bytes(bytes(len(path.read_bytes())))
    error = refused(good)
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    assert error.where == str(path)
    assert error.problem == f"sha256 {actual[:12]} does not match the manifest's {recorded[:12]}"


@pytest.mark.parametrize("change", [1, -1])
def test_a_file_of_another_size_fails_on_its_size(good, change):
    path = good / MODEL / "model.keras"
    before = path.read_bytes()
    path.write_bytes(before + b"x" if change > 0 else before[:-1])
    assert refused(good).problem == f"size {len(before) + change} bytes, manifest says " \
        f"{len(before)}"


def test_the_second_file_of_a_format_is_checked_too(good):
    weights = good / MODEL / "model.bin"
    weights.write_bytes(b"X" * len(weights.read_bytes()))
    assert refused(good).where == str(weights)


def test_a_missing_file_is_named(good):
    (good / "test_set.npz").unlink()
    error = refused(good)
    assert (error.where, error.problem) == (
        str(good / "test_set.npz"), "listed in the manifest (test_set) but missing")


@pytest.mark.parametrize(("path", "problem"), [
    ("/etc/passwd", "path '/etc/passwd' is absolute; paths here are relative to the bundle folder"),
    ("../outside.bin", "path '../outside.bin' leaves the bundle folder"),
    ("..", "path '..' leaves the bundle folder"),
    ("../a.bin", "path '../a.bin' leaves the bundle folder"),
    ("k16-24/../../outside.bin", "path 'k16-24/../../outside.bin' leaves the bundle folder"),
])
def test_paths_outside_the_bundle_are_refused(good, path, problem):
    (good.parent / "outside.bin").write_bytes(b"secret")

    def point_outside(manifest: dict) -> None:
        manifest["models"][0]["artifacts"]["keras"]["path"] = path

    rewrite_manifest(good, point_outside)
    assert refused(good).problem == problem


def test_a_symlink_out_of_the_bundle_is_refused(good):
    outside = good.parent / "outside.keras"
    outside.write_bytes((good / MODEL / "model.keras").read_bytes())
    (good / MODEL / "model.keras").unlink()
    os.symlink(outside, good / MODEL / "model.keras")
    assert refused(good).problem == "path 'k16-24/model.keras' leaves the bundle folder"


def test_the_bundle_folder_itself_is_inside():
    assert bundle.resolve_inside("/tmp/b", ".", "w") == os.path.realpath("/tmp/b")
    assert bundle.resolve_inside("/tmp/b", "x/y", "w") == os.path.realpath("/tmp/b/x/y")


@pytest.mark.parametrize("key", ["path", "sha256", "bytes"])
def test_a_record_without_its_path_hash_or_size_is_refused(good, key):
    rewrite_manifest(good, lambda m: m["test_set"].pop(key))
    kind = "a whole number" if key == "bytes" else "a string"
    assert refused(good).problem == f"test_set.{key}: must be {kind}, got null"


def test_an_edited_manifest_fails_on_the_bundle_hash(good):
    manifest = manifest_of(good)
    manifest["models"][0]["val_accuracy"] = 99.9
    (good / "manifest.json").write_text(json.dumps(manifest))
    assert refused(good).problem == "bundle_sha256 does not match the manifest's contents"


@pytest.mark.parametrize("recorded", ["0" * 64, "f" * 64, None])
def test_any_other_recorded_bundle_hash_is_refused(good, recorded):
    manifest = manifest_of(good)
    manifest["bundle_sha256"] = recorded
    (good / "manifest.json").write_text(json.dumps(manifest))
    expected = ("bundle_sha256: must be a string, got null" if recorded is None
                else "bundle_sha256 does not match the manifest's contents")
    assert refused(good).problem == expected


def test_manifest_hash_covers_every_field_but_itself():
    body = {"schema_version": 1, "models": [{"id": "a"}], "a_note": "x"}
    digest = bundle.manifest_hash(body)
    assert bundle.manifest_hash({**body, "bundle_sha256": "anything"}) == digest
    assert bundle.manifest_hash({**body, "models": [{"id": "b"}]}) != digest
    assert bundle.manifest_hash({**body, "a_note": "y"}) != digest  # sorts before the hash
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert digest == hashlib.sha256(canonical).hexdigest()


def test_sha256_file_reads_in_chunks(tmp_path):
    path = tmp_path / "big.bin"
    payload = os.urandom(3000)
    path.write_bytes(payload)
    assert bundle.sha256_file(path, chunk_bytes=1024) == hashlib.sha256(payload).hexdigest()
    record = bundle.file_record(tmp_path, "big.bin")
    assert record == {"path": "big.bin", "sha256": hashlib.sha256(payload).hexdigest(),
                      "bytes": 3000}


def test_listed_files_are_the_test_set_then_each_built_file(good):
    labels = [label for label, _ in bundle.listed_files(manifest_of(good))]
    assert labels == ["test_set", f"{MODEL}/keras", f"{MODEL}/openvino_fp16",
                      f"{MODEL}/openvino_fp16/weights", f"{MODEL}/tflite_fp32"]


@pytest.mark.parametrize(("status", "usable"), [
    ("built", True), ("built-but-disagrees", True), ("failed", False), ("not-built", False)])
def test_artifact_path_only_for_usable_artifacts(good, status, usable):
    model = manifest_of(good)["models"][0]
    model["artifacts"]["keras"]["status"] = status
    found = bundle.artifact_path(good, model, "keras")
    assert found == (os.path.realpath(good / MODEL / "model.keras") if usable else None)
    assert bundle.artifact_path(good, model, "onnx") is None
    assert bundle.artifact_path(good, model, "edgetpu") is None  # not built: path None


def test_artifact_path_refuses_a_path_outside(good):
    model = manifest_of(good)["models"][0]
    model["artifacts"]["keras"]["path"] = "../x"
    with pytest.raises(BundleError, match="leaves the bundle folder"):
        bundle.artifact_path(good, model, "keras")
