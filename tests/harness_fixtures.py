"""A real small bundle for the harness tests: a tiny stage-1 search, then the project's own
bundle writer (no exporter of its own here)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Two or three tiny VGG models: train in seconds, still a real architecture of the space.
TINY_SPACE = {
    "schema_version": 1,
    "blocks": [2],
    "kernels": [{"min": 4, "max": 8, "step": 4}, {"min": 8, "max": 8, "step": 1}],
    "fc1": {"min": 16, "max": 32, "step": 16},
    "fc2": {"min": 16, "max": 16, "step": 1},
    "dropout1": {"min": 0.1, "max": 0.2, "step": 0.05},
    "dropout2": {"min": 0.1, "max": 0.2, "step": 0.05},
}
DATA = "synthetic:n=300"


def build_tiny_bundle(work: Path, n_models: int = 2, epochs: int = 2) -> Path:
    """Search `n_models` trials of TINY_SPACE on synthetic data and bundle them all."""
    from fer_edge_search.datasets.base import SplitSpec
    from fer_edge_search.export.writer import write_bundle
    from fer_edge_search.runner import run_search

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    space = work / "tiny-space.json"
    space.write_text(json.dumps(TINY_SPACE))
    run_dir = work / "run"
    run_search(DATA, SplitSpec(rule="subject"), n_models, epochs, n_models, run_dir,
               space_path=space, show_progress=False)
    return write_bundle(run_dir, n_models, work / "bundle")


def copy_bundle(bundle: Path, dest: Path) -> Path:
    """A private copy of a bundle that a test may damage."""
    import shutil

    shutil.copytree(bundle, dest)
    return dest


def rewrite_manifest(bundle: Path, change) -> dict:
    """Apply `change(manifest)` and re-hash the manifest so it verifies again."""
    from fer_edge_harness.bundle import manifest_hash, read_manifest

    manifest = read_manifest(bundle)
    change(manifest)
    manifest["bundle_sha256"] = manifest_hash(manifest)
    (Path(bundle) / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def damaged_onnx(data: bytes) -> bytes:
    """The ONNX file with its graph's bytes zeroed: still a well-formed protobuf with
    ir_version and graph (the bundle's type check passes), but no runtime can read the graph."""
    from fer_edge_harness.filetypes import _varint

    out, pos = bytearray(data), 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        if key & 7 == 0:
            _, pos = _varint(data, pos)
        elif key & 7 == 2:
            length, pos = _varint(data, pos)
            if key >> 3 == 7:
                out[pos:pos + length] = bytes(length)
            pos += length
        else:
            pos += 8 if key & 7 == 1 else 4
    return bytes(out)


def break_artifact(bundle: Path, model_id: str, fmt: str, keep_bytes: int = 100) -> Path:
    """Damage a model's artifact (ONNX: its graph zeroed; other formats: truncated, their
    identifier kept) and record the damaged file's hash in the manifest, so the bundle still
    verifies but the runtime cannot load the file."""
    from fer_edge_harness.bundle import file_record

    def change(manifest: dict) -> None:
        model = next(m for m in manifest["models"] if m["id"] == model_id)
        record = model["artifacts"][fmt]
        path = Path(bundle) / record["path"]
        data = path.read_bytes()
        path.write_bytes(damaged_onnx(data) if fmt == "onnx" else data[:keep_bytes])
        record.update(file_record(bundle, record["path"]))

    rewrite_manifest(bundle, change)
    return Path(bundle)


_BUILT: dict[str, Path] = {}


def shared_tiny_bundle(tmp_path_factory) -> Path:
    """One tiny bundle per test session, whichever test module asks first (read-only use)."""
    if "bundle" not in _BUILT:
        _BUILT["bundle"] = build_tiny_bundle(tmp_path_factory.mktemp("harness-bundle"))
    return _BUILT["bundle"]


# Timing for the tests that check something else than the timing: 3 rounds after 1 call.
QUICK_TIMING = {"rounds": 3, "warmup_rounds": 1, "min_time_s": 0.0, "max_warmup_s": 0.0}


def run_host_suite(bundle: Path, json_out: Path, backends: list[str], *extra: str,
                   env: dict | None = None, timing: dict | None = None
                   ) -> subprocess.CompletedProcess:
    """The board suite in a child process, as a board runs it: label test-host, one thread,
    3 rounds after 1 warm-up (QUICK_TIMING), or `timing` ({} for the harness's defaults)."""
    from fer_edge_harness.runner import suite_command

    argv = suite_command(bundle, backends, "test-host", "latency", json_out, threads=1,
                         extra_args=extra, **(QUICK_TIMING if timing is None else timing))
    return subprocess.run(argv, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})
